using System.CommandLine;
using System.CommandLine.Help;
using MlNetHw.Datasets;
using MlNetHw.Torch;

namespace MlNetHw.Cli;

/// <summary>
/// The conventions every MlNetHw program follows, on top of System.CommandLine:
/// <list type="bullet">
/// <item><c>--help</c>: every option with its description and default, exit 0.</item>
/// <item>a usage or input error (unknown option, bad value, missing file, <see cref="ArgumentException"/>,
/// <see cref="InvalidDataException"/>, <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>,
/// <see cref="DatasetUnavailableException"/>, OnnxFormatException ...): one line <c>error: ...</c> on stderr, exit 2.</item>
/// <item>a failed run (any other exception): one line on stderr, exit 1; <c>--verbose</c> adds the stack trace.</item>
/// <item>progress and logs on stderr (<see cref="ConsoleProgress.Log"/>), results on stdout.</item>
/// <item><c>--native-memory retain</c> (the default): <see cref="NativeHeap.RetainFreedMemory"/> before the command runs.</item>
/// </list>
/// </summary>
public static class CliApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;
    /// <summary>Exit code of a run that failed (or whose checks failed).</summary>
    public const int Failure = 1;
    /// <summary>Exit code of a usage or input error.</summary>
    public const int UsageError = 2;

    /// <summary>The option every program gets: <c>--native-memory retain|release</c> (see <see cref="NativeHeap"/>).</summary>
    public const string NativeMemoryOption = "--native-memory";

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the chosen command's action.</summary>
    /// <param name="root">The program's command tree (<c>--verbose</c> and <c>--native-memory</c> options are added to it).</param>
    /// <param name="args">The process arguments.</param>
    /// <param name="output">Standard output (help); default <see cref="Console.Out"/>.</param>
    /// <param name="error">Where the one-line errors go; default <see cref="Console.Error"/>.</param>
    public static int Run(RootCommand root, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var verbose = root.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--verbose");
        if (verbose is null)
        {
            verbose = new Option<bool>("--verbose")
            {
                Description = "On a failure, print the stack trace too", DefaultValueFactory = _ => false, Recursive = true,
            };
            root.Options.Add(verbose);
        }
        var nativeMemory = root.Options.OfType<Option<string>>().FirstOrDefault(o => o.Name == NativeMemoryOption);
        if (nativeMemory is null)
        {
            nativeMemory = new Option<string>(NativeMemoryOption)
            {
                Description = "retain: keep memory libtorch frees in the C heap for reuse instead of returning it to the system " +
                              "(glibc; 10–16 % faster ResNet18 training steps, resident memory stays at its peak); release: the C library's default",
                DefaultValueFactory = _ => "retain", HelpName = "retain|release", Recursive = true,
            };
            nativeMemory.Validators.Add(r =>
            {
                string? v = r.GetValueOrDefault<string>();
                if (v is not ("retain" or "release")) r.AddError($"{NativeMemoryOption} must be retain or release (got '{v}').");
            });
            root.Options.Add(nativeMemory);
        }
        ParseResult? parse = null;
        try
        {
            // No @response-file expansion: a word starting with '@' (a sentence to classify) stays a word, as before.
            parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                error.WriteLine("error: " + OneLine(string.Join(" ", parse.Errors.Select(e => e.Message).Distinct())) + " (see --help)");
                return UsageError;
            }
            if (parse.Action is not HelpAction && parse.GetValue(nativeMemory) == "retain") NativeHeap.RetainFreedMemory();
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            bool showTrace;
            try { showTrace = parse?.GetValue(verbose) ?? args.Contains("--verbose"); }
            catch (InvalidOperationException) { showTrace = false; }
            return Report(e, showTrace, error);
        }
    }

    /// <summary>Writes the one-line error for <paramref name="e"/> (and its stack trace when asked); returns the exit code.</summary>
    public static int Report(Exception e, bool verbose, TextWriter error)
    {
        var chain = Chain(e).ToList();
        var usages = chain.Where(IsUsageError).ToList();
        // The innermost usage error names the problem; an outer one that repeats any inner one's message with more
        // context (the file name) is the better line.
        var usage = usages.Where((x, i) => usages.Skip(i + 1).Any(inner => x.Message.Contains(inner.Message, StringComparison.Ordinal)))
            .FirstOrDefault() ?? usages.LastOrDefault();
        int code = usage is null ? Failure : UsageError;
        var shown = usage ?? chain.LastOrDefault(x => !string.IsNullOrWhiteSpace(x.Message)) ?? e;
        string message = OneLine(shown.Message);
        error.WriteLine(code == UsageError
            ? $"error: {message}"
            : $"error: {message} ({shown.GetType().Name}{(verbose ? "" : "; run with --verbose for the stack trace")})");
        if (verbose) error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>True for the exceptions that mean "the command line or an input file is wrong", not "the run failed".</summary>
    public static bool IsUsageError(Exception e) =>
        e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or FormatException
            or DatasetUnavailableException or CliUsageException
        // By name: the ONNX reader's exception type is moving between namespaces.
        || e.GetType().Name == "OnnxFormatException";

    /// <summary>The exception and its inner ones, outermost first (the first inner exception of an aggregate).</summary>
    static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x is AggregateException a && a.InnerExceptions.Count > 0 ? a.InnerExceptions[0] : x.InnerException)
            yield return x;
    }

    static string OneLine(string s) =>
        string.Join(" ", s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>A usage error found by a command's own checks (exit 2).</summary>
public sealed class CliUsageException(string message) : Exception(message);
