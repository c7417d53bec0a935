using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MlNetHw.Tests.Datasets;

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 (a TcpListener, so the tests control every byte): serves files with
/// <c>Range</c> support, answers 404 for unknown paths, and can drop a connection in the middle of a body or ignore
/// range requests, to exercise the downloader's resume and restart paths. Records every request line and Range header.
/// </summary>
sealed class LocalHttpServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly Thread _thread;
    volatile bool _stopped;

    /// <summary>Path → body.</summary>
    public Dictionary<string, byte[]> Files { get; } = new();
    /// <summary>Path → number of body bytes after which the next request for it is cut (once per entry).</summary>
    public Dictionary<string, int> DropOnceAfter { get; } = new();
    /// <summary>Answer range requests with the whole file (200), like servers without range support.</summary>
    public bool IgnoreRange { get; set; }
    /// <summary>"GET /path" or "GET /path Range: bytes=N-" per request, in order.</summary>
    public List<string> Requests { get; } = new();

    public LocalHttpServer()
    {
        _listener.Start();
        _thread = new Thread(Loop) { IsBackground = true };
        _thread.Start();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    public string Url(string path) => BaseUrl + path;

    void Loop()
    {
        while (!_stopped)
        {
            TcpClient client;
            try { client = _listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            try { using (client) Handle(client); }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    void Handle(TcpClient client)
    {
        var stream = client.GetStream();
        var header = new StringBuilder();
        var one = new byte[1];
        while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (stream.Read(one, 0, 1) == 0) return;
            header.Append((char)one[0]);
        }
        var lines = header.ToString().Split("\r\n");
        string path = lines[0].Split(' ')[1];
        string? range = lines.FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim();
        lock (Requests) Requests.Add($"GET {path}" + (range is null ? "" : $" Range: {range}"));
        if (!Files.TryGetValue(path, out var body))
        {
            Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
            return;
        }
        long start = 0;
        if (range is not null && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal))
            start = long.Parse(range[6..].TrimEnd('-').Split('-')[0]);
        if (start >= body.Length && start > 0)
        {
            Write(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{body.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        int length = body.Length - (int)start;
        string status = start > 0 ? "206 Partial Content" : "200 OK";
        string contentRange = start > 0 ? $"Content-Range: bytes {start}-{body.Length - 1}/{body.Length}\r\n" : "";
        Write(stream, $"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n{contentRange}Content-Length: {length}\r\nConnection: close\r\n\r\n");
        int send = length;
        bool drop = false;
        lock (DropOnceAfter)
        {
            if (DropOnceAfter.Remove(path, out int after)) { send = Math.Min(after, length); drop = true; }
        }
        stream.Write(body, (int)start, send);
        stream.Flush();
        if (drop) client.Client.Close(0); // Cut the connection with the body incomplete.
    }

    static void Write(NetworkStream stream, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        stream.Write(bytes, 0, bytes.Length);
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Stop();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
