using Microsoft.ML;
using MlNetHw.Onnx;
using System.CommandLine;
using System.Globalization;
using MlNetHw.Torch;

namespace MlNetHw.Cli;

/// <summary>
/// <c>--seed</c>, <c>--device auto|cpu|cuda</c>, <c>--threads N</c>, <c>--out DIR</c> and <c>--quick</c>, defined once.
/// Each program gives its own defaults (they differ per pipeline and are kept so results are unchanged). They are read
/// into the library's <see cref="MlNetHw.Runs.RunOptions"/>, the record every experiment and the main job take.
/// </summary>
public sealed class RunOptionGroup
{
    /// <summary><c>--seed</c>: seed of everything random.</summary>
    public Option<int> Seed { get; }
    /// <summary><c>--device</c>: auto (CUDA when available), cpu, cuda or cuda:N.</summary>
    public Option<string> Device { get; }
    /// <summary><c>--threads</c>: libtorch CPU threads (0 = libtorch's default).</summary>
    public Option<int> Threads { get; }
    /// <summary><c>--out</c>: the output folder.</summary>
    public Option<string?> Out { get; }
    /// <summary><c>--quick</c>: the program's small smoke-run sizes.</summary>
    public Option<bool> Quick { get; }

    /// <param name="seed">Default of --seed.</param>
    /// <param name="outDefault">Default of --out (null: described by <paramref name="outDescription"/>).</param>
    /// <param name="quickDescription">What --quick does in this program.</param>
    /// <param name="device">Default of --device.</param>
    /// <param name="threads">Default of --threads.</param>
    /// <param name="outDescription">Description of --out.</param>
    public RunOptionGroup(int seed, string? outDefault, string quickDescription, string device = "auto", int threads = 0,
        string outDescription = "Output folder")
    {
        Seed = CliOptions.Int("--seed", seed, "Seed of everything random");
        Device = CliOptions.Device(device);
        Threads = CliOptions.Threads(threads);
        Out = CliOptions.String("--out", outDefault, outDescription, "DIR");
        Quick = CliOptions.Flag("--quick", quickDescription);
    }

    /// <summary>Adds the five options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Seed, Device, Threads, Out, Quick }) command.Options.Add(o);
    }

    /// <summary>
    /// The parsed values, with progress and logs going to the console's error stream. An unusable --out (an existing
    /// file, a read-only or immutable folder) is a usage error here, before any work starts.
    /// </summary>
    public MlNetHw.Runs.RunOptions Read(ParseResult r)
    {
        OutputFolderCheck.Check(Out.Name, r.GetValue(Out));
        return new()
        {
            Seed = r.GetValue(Seed), Device = r.GetValue(Device)!, Threads = r.GetValue(Threads), OutputDirectory = r.GetValue(Out),
            Quick = r.GetValue(Quick), Log = ConsoleProgress.Log,
        };
    }
}

/// <summary>Option factories with the programs' conventions: a description and a default on every option.</summary>
public static class CliOptions
{
    /// <summary>An integer option, at least <paramref name="min"/>.</summary>
    public static Option<int> Int(string name, int defaultValue, string description, int min = int.MinValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "N", CustomParser = r => ParseInt(name, r, min) ?? defaultValue };

    /// <summary>An optional integer (absent: the experiment's own default, which <paramref name="description"/> states).</summary>
    public static Option<int?> OptionalInt(string name, string description, int min = int.MinValue) =>
        new(name) { Description = description, HelpName = "N", CustomParser = r => ParseInt(name, r, min) };

    static int? ParseInt(string name, System.CommandLine.Parsing.ArgumentResult r, int min)
    {
        if (r.Tokens.Count == 0) return null;
        string text = r.Tokens[^1].Value;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) r.AddError($"{name} must be an integer (got '{text}').");
        else if (v < min) r.AddError($"{name} must be at least {min} (got {v}).");
        return v;
    }

    /// <summary>A floating-point option (parsed with the invariant culture).</summary>
    public static Option<double> Double(string name, double defaultValue, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "X", CustomParser = r => r.Tokens.Count == 0 ? defaultValue : ParseDouble(name, r.Tokens[^1].Value, r) };

    /// <summary>An optional floating-point option.</summary>
    public static Option<double?> OptionalDouble(string name, string description) =>
        new(name) { Description = description, HelpName = "X", CustomParser = r => r.Tokens.Count == 0 ? null : ParseDouble(name, r.Tokens[^1].Value, r) };

    static double ParseDouble(string name, string text, System.CommandLine.Parsing.ArgumentResult r)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        r.AddError($"{name} must be a number (got '{text}').");
        return 0;
    }

    /// <summary>A text option; null default means "absent" (and <paramref name="description"/> says what that does).</summary>
    public static Option<string?> String(string name, string? defaultValue, string description, string helpName = "VALUE")
    {
        var o = new Option<string?>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null) o.DefaultValueFactory = _ => defaultValue;
        return o;
    }

    /// <summary>An input file that must exist.</summary>
    public static Option<string?> ExistingFile(string name, string description, string helpName = "FILE")
    {
        var o = String(name, null, description, helpName);
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<string?>() is { } path && !File.Exists(path))
                r.AddError($"{name}: file not found: {path}");
        });
        return o;
    }

    /// <summary>An input folder that must exist.</summary>
    public static Option<string?> ExistingFolder(string name, string description, string helpName = "DIR")
    {
        var o = String(name, null, description, helpName);
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<string?>() is { } path && !Directory.Exists(path))
                r.AddError($"{name}: folder not found: {path}");
        });
        return o;
    }

    /// <summary>One of a fixed set of words.</summary>
    public static Option<string> Choice(string name, string defaultValue, string description, params string[] choices)
    {
        var o = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = string.Join("|", choices) };
        AcceptOnly(o, choices);
        return o;
    }

    /// <summary>Restricts a text option to <paramref name="choices"/>, with an error naming the option (absent stays allowed).</summary>
    public static void AcceptOnly(Option o, params string[] choices)
    {
        o.HelpName ??= string.Join("|", choices);
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.Tokens[^1].Value is var v && !choices.Contains(v, StringComparer.Ordinal))
                r.AddError($"{o.Name} must be one of {string.Join("|", choices)} (got '{v}').");
        });
    }

    /// <summary>A flag (<c>--quick</c>, or <c>--quick true|false</c>); default false.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => false };

    /// <summary>A comma-separated list (<c>--parts 1,3,6</c>); absent: empty.</summary>
    public static Option<IReadOnlyList<string>> List(string name, string description, IReadOnlyList<string>? defaultValue = null, string helpName = "A,B,...")
    {
        var o = new Option<IReadOnlyList<string>>(name)
        {
            Description = description, HelpName = helpName,
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
        };
        o.DefaultValueFactory = _ => defaultValue ?? Array.Empty<string>();
        return o;
    }

    /// <summary>A comma-separated list of numbers.</summary>
    public static Option<IReadOnlyList<double>> DoubleList(string name, string description, string helpName = "X,Y,...") =>
        new(name)
        {
            Description = description, HelpName = helpName, DefaultValueFactory = _ => Array.Empty<double>(),
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(s => ParseDouble(name, s, r)).ToList(),
        };

    /// <summary><c>--device auto|cpu|cuda[:N]</c>.</summary>
    public static Option<string> Device(string defaultValue = "auto")
    {
        var o = new Option<string>("--device")
        {
            Description = "Compute device: auto (CUDA when available), cpu, cuda or cuda:N", DefaultValueFactory = _ => defaultValue,
            HelpName = "auto|cpu|cuda",
        };
        o.Validators.Add(r =>
        {
            string v = (r.GetValueOrDefault<string>() ?? "").Trim().ToLowerInvariant();
            bool ok = v is "auto" or "cpu" or "cuda" || (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v[5..], out int n) && n >= 0);
            if (!ok) r.AddError($"--device must be auto, cpu or cuda[:N] (got '{r.GetValueOrDefault<string>()}').");
        });
        return o;
    }

    /// <summary>JSON lines of the predict commands: readable text (apostrophes, accents) rather than \u escapes.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions PredictJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The predict commands' inputs: <paramref name="given"/> on the command line, or (none given) one per non-empty line
    /// of stdin (trimmed when <paramref name="trim"/>); none at all is a usage error naming <paramref name="what"/>.
    /// </summary>
    public static List<string> GivenOrStdin(IEnumerable<string> given, string what, bool trim)
    {
        var items = given.ToList();
        if (items.Count == 0)
        {
            string? line;
            while ((line = Console.In.ReadLine()) is not null) if (line.Trim().Length > 0) items.Add(trim ? line.Trim() : line);
        }
        if (items.Count == 0) throw new ArgumentException($"no {what} given (on the command line or stdin).");
        return items;
    }

    /// <summary>
    /// An image <c>predict</c> sub-command: <c>--model-file x.zip</c> (required, must exist), <c>--threads</c>, and image
    /// paths as arguments or on stdin; <paramref name="run"/> gets the model file, the paths and an
    /// <see cref="MLContext"/> whose ONNX Runtime sessions use those threads with sleeping workers
    /// (<see cref="OnnxSessionSettings.Configure"/>: a zip saves no session options), libtorch's threads already set.
    /// </summary>
    public static Command ImagePredictCommand(string description, string modelDescription, Func<string, List<string>, MLContext, int> run)
    {
        var predict = new Command("predict", description);
        var model = ExistingFile("--model-file", modelDescription, "x.zip");
        model.Required = true;
        var images = new Argument<string[]>("image") { Description = "Image files (none: one path per line from stdin)", Arity = ArgumentArity.ZeroOrMore };
        var threads = Threads();
        predict.Options.Add(model);
        predict.Options.Add(threads);
        predict.Arguments.Add(images);
        predict.SetAction(r =>
        {
            var paths = GivenOrStdin(r.GetValue(images)!, "image", trim: true);
            ApplyThreads(r.GetValue(threads));
            var ml = new MLContext(seed: 1);
            OnnxSessionSettings.Configure(ml, r.GetValue(threads), spinning: false);
            return run(r.GetValue(model)!, paths, ml);
        });
        return predict;
    }

    /// <summary><c>--threads N</c>: libtorch CPU threads.</summary>
    public static Option<int> Threads(int defaultValue = 0) =>
        Int("--threads", defaultValue, "libtorch CPU threads (0 = libtorch's default, one per core; 1 is faster on a busy shared machine)", min: 0);

    /// <summary>Sets libtorch's CPU threads for the whole process (0: leave libtorch's default).</summary>
    public static void ApplyThreads(int threads)
    {
        if (threads <= 0) return;
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(threads);
    }
}
