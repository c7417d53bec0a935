using System.Globalization;

namespace MlNetHw.Cli;

/// <summary>
/// A small parser for <c>--name value</c>, <c>--name=value</c> and <c>--flag</c> arguments plus positional words.
/// Every option a program reads is recorded, so <see cref="ThrowOnUnknown"/> can reject misspelt options
/// with the list of valid ones instead of silently ignoring them.
/// </summary>
public sealed class CommandLineArgs
{
    readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    readonly HashSet<string> _known = new(StringComparer.Ordinal) { "--help", "-h" };

    /// <summary>Words that are not options, in order (sub-commands, file names).</summary>
    public IReadOnlyList<string> Positional { get; }

    public CommandLineArgs(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a == "--") { positional.AddRange(list.Skip(i + 1)); break; }
            if (a.StartsWith("--", StringComparison.Ordinal) || a == "-h")
            {
                int eq = a.IndexOf('=');
                if (eq > 0) { _options[a[..eq]] = a[(eq + 1)..]; continue; }
                bool hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal);
                _options[a] = hasValue ? list[++i] : null;
            }
            else positional.Add(a);
        }
        Positional = positional;
    }

    /// <summary>True when --help or -h was given.</summary>
    public bool HelpRequested => _options.ContainsKey("--help") || _options.ContainsKey("-h");

    /// <summary>True when the flag is present (<c>--quick</c>), or given as <c>--quick true|false</c>.</summary>
    public bool Flag(string name)
    {
        _known.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        if (v is null) return true;
        if (bool.TryParse(v, out bool b)) return b;
        throw new ArgumentException($"{name} is a flag: give it alone or as {name}=true|false (got '{v}').");
    }

    /// <summary>The option's text, or <paramref name="fallback"/> when absent.</summary>
    public string? String(string name, string? fallback = null)
    {
        _known.Add(name);
        if (!_options.TryGetValue(name, out var v)) return fallback;
        return v ?? throw new ArgumentException($"{name} needs a value.");
    }

    /// <summary>The option parsed as <typeparamref name="T"/> (int, long, float, double), or the fallback.</summary>
    public T Number<T>(string name, T fallback) where T : IParsable<T>
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (T.TryParse(s, CultureInfo.InvariantCulture, out var value)) return value;
        throw new ArgumentException($"{name} must be a number of type {typeof(T).Name} (got '{s}').");
    }

    /// <summary>A comma-separated list option (<c>--parts 1,3,6</c>), or the fallback.</summary>
    public IReadOnlyList<string> List(string name, IReadOnlyList<string> fallback)
    {
        string? s = String(name);
        return s is null ? fallback : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The option, required to be one of <paramref name="choices"/>.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        string v = String(name, fallback)!;
        if (!choices.Contains(v))
            throw new ArgumentException($"{name} must be one of {string.Join("|", choices)} (got '{v}').");
        return v;
    }

    /// <summary>Rejects options that no call above asked for, naming the valid ones.</summary>
    public void ThrowOnUnknown()
    {
        var unknown = _options.Keys.Where(k => !_known.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown option(s) {string.Join(", ", unknown)}; valid: {string.Join(" ", _known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).Order())}");
    }
}
