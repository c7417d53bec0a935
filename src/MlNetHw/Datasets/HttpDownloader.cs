using MlNetHw.IO;
using System.Net;
using System.Net.Http.Headers;
using MlNetHw.Reporting;

namespace MlNetHw.Datasets;

/// <summary>
/// Downloads one file over HTTP(S) into <c>destination</c>, the safe way:
/// bytes go to <c>destination.part</c> and the file appears under its real name only after the whole body has arrived
/// and its sha256 matches; a dropped connection is resumed with an HTTP <c>Range</c> request (or restarted cleanly when
/// the server ignores ranges); a checksum mismatch removes the file and fails with the expected and actual hashes.
/// </summary>
public static class HttpDownloader
{
    /// <summary>Downloads <paramref name="url"/> to <paramref name="destination"/> unless a file with the pinned sha256
    /// is already there. Throws <see cref="DatasetSourceException"/> (network, HTTP status) or
    /// <see cref="ChecksumMismatchException"/>.</summary>
    public static void Download(string url, string destination, string? sha256, long? size, DatasetFetchOptions options)
    {
        if (File.Exists(destination) && sha256 is not null && FileHashing.Matches(destination, sha256, out _)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        string part = destination + ".part";
        using var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var log = options.Writer;
        bool cleanRetryDone = false;
        string? lastError = null;
        for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            long have = File.Exists(part) ? new FileInfo(part).Length : 0;
            bool resumed = have > 0;
            try
            {
                if (!Fetch(client, url, part, have, size, options)) { lastError = "transfer interrupted"; continue; }
            }
            catch (DatasetSourceException) { throw; }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or TimeoutException)
            {
                lastError = Describe(e);
                long kept = File.Exists(part) ? new FileInfo(part).Length : 0;
                if (attempt < options.MaxAttempts)
                {
                    log.WriteLine($"  {Path.GetFileName(destination)}: connection lost after {kept} bytes ({lastError}); {(kept > 0 ? "resuming" : "retrying")} (attempt {attempt + 1}/{options.MaxAttempts}).");
                    Thread.Sleep(Math.Min(2000, 200 * attempt));
                }
                continue;
            }
            long got = new FileInfo(part).Length;
            if (size is long expectedSize && got != expectedSize)
            {
                File.Delete(part);
                throw new DatasetSourceException($"{url}: got {got} bytes, expected {expectedSize}; the file was removed.");
            }
            if (!FileHashing.Matches(part, sha256, out string actual))
            {
                File.Delete(part);
                if (resumed && !cleanRetryDone)
                {
                    // The bytes kept from an earlier attempt may belong to another version of the file: start over once.
                    cleanRetryDone = true;
                    log.WriteLine($"  {Path.GetFileName(destination)}: checksum mismatch after resuming; restarting from zero.");
                    continue;
                }
                throw new ChecksumMismatchException(
                    $"{url}: checksum mismatch for {Path.GetFileName(destination)}: expected sha256 {sha256}, got {actual}. The downloaded file was removed.");
            }
            File.Move(part, destination, overwrite: true);
            return;
        }
        throw new DatasetSourceException($"{url}: download failed after {options.MaxAttempts} attempts ({lastError}); the partial file {part} is kept for a later resume.");
    }

    /// <summary>One request; appends to <paramref name="part"/>. Returns true when the body arrived complete.</summary>
    static bool Fetch(HttpClient client, string url, string part, long have, long? size, DatasetFetchOptions options)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var connect = new CancellationTokenSource(options.ConnectTimeout + options.StallTimeout);
        HttpResponseMessage sent;
        try { sent = client.Send(request, HttpCompletionOption.ResponseHeadersRead, connect.Token); }
        catch (Exception e) when (have == 0 && e is HttpRequestException or OperationCanceledException)
        {
            // No connection and nothing to resume (DNS failure, refused, timeout): this URL does not work from here.
            throw new DatasetSourceException($"{url}: {Describe(e)}", e);
        }
        using var response = sent;
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // Either the part file is already complete or it is longer than the file: let the checksum decide, or restart.
            long? total = response.Content.Headers.ContentRange?.Length;
            if (total == have) return true;
            File.Delete(part);
            return false;
        }
        if (!response.IsSuccessStatusCode)
            throw new DatasetSourceException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
        bool append = response.StatusCode == HttpStatusCode.PartialContent;
        if (append && response.Content.Headers.ContentRange?.From != have)
            throw new DatasetSourceException($"{url}: server answered a range request with an unexpected range ({response.Content.Headers.ContentRange}).");
        if (!append) have = 0; // The server ignored the range: clean restart.
        long? length = response.Content.Headers.ContentLength;
        long total2 = (length ?? 0) + have;
        if (size is long s && total2 == 0) total2 = s;
        var progress = new TextProgressBar("  " + Path.GetFileName(part[..^5]), Math.Max(total2, 1), options.Log) { Unit = "B" };
        using var body = response.Content.ReadAsStream();
        using var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[1 << 16];
        long received = 0;
        while (true)
        {
            int n = ReadWithStallTimeout(body, buffer, options.StallTimeout);
            if (n == 0) break;
            file.Write(buffer, 0, n);
            received += n;
            progress.Report(have + received);
        }
        file.Flush(true);
        if (length is long l && received != l) return false; // Connection closed early.
        if (length is null) progress.Report(Math.Max(total2, have + received));
        return true;
    }

    static int ReadWithStallTimeout(Stream body, byte[] buffer, TimeSpan stall)
    {
        using var cts = new CancellationTokenSource(stall);
        try { return body.ReadAsync(buffer, 0, buffer.Length, cts.Token).GetAwaiter().GetResult(); }
        catch (OperationCanceledException e) { throw new TimeoutException($"no data for {stall.TotalSeconds:0} s", e); }
    }

    static string Describe(Exception e) =>
        e is OperationCanceledException ? "timed out" : e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
}
