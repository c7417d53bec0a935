using System.CommandLine;
using MlNetHw.Homework;
using MlNetHw.Homework.Parts;

namespace MlNetHw.Cli;

/// <summary>The main job (pipelines/Homework): runs the six homework parts and writes the report.</summary>
public static class HomeworkCommand
{
    /// <summary>Parses <paramref name="args"/> and runs the main job; returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of the main job: its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var parts = Experiments.Parts;
        var keys = parts.SelectMany(p => p.OverrideKeys).Distinct().Order(StringComparer.Ordinal).ToList();
        var run = new RunOptionGroup(seed: 1, outDefault: Path.Combine("out", "homework"),
            quickDescription: "Sizes for <= 30 minutes on 2 CPU cores (the default size)", outDescription: "Report folder");
        run.Threads.Description = "libtorch CPU threads of the parts that do not set their own (0 = libtorch's default, one per core)";
        var full = CliOptions.Flag("--full", "The homework's reference settings (hours on a CPU)");
        var tiny = CliOptions.Flag("--tiny", "Seconds per part: checks the job itself, numbers mean little");
        var only = CliOptions.List("--parts", $"Run only these parts (default: all, {string.Join(",", parts.Select(p => p.Number))})", helpName: "1,3,6");
        var force = CliOptions.Flag("--force", "Rerun parts whose earlier results are up to date");
        var dataDir = CliOptions.String("--data-dir", null, "Dataset cache folder (default: $MLNETHW_DATA, else the user cache)", "DIR");
        var set = new Option<string[]>("--set")
        {
            Description = $"Per-part override key=value, several as key=value;key=value or repeated (e.g. text.data=/my/sentences); keys: {string.Join(", ", keys)}",
            HelpName = "key=value", DefaultValueFactory = _ => Array.Empty<string>(),
        };
        var root = new RootCommand("The main job: runs the six homework parts and writes out/homework/report.md (+ report.html).");
        foreach (Option o in new Option[] { full, tiny, only, force, dataDir, set }) root.Options.Add(o);
        run.AddTo(root);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            bool isFull = r.GetValue(full), isTiny = r.GetValue(tiny);
            if (new[] { isFull, isTiny, s.Quick }.Count(x => x) > 1) throw new ArgumentException("choose one of --quick, --full, --tiny.");
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in r.GetValue(set)!.SelectMany(v => v.Split(';', StringSplitOptions.RemoveEmptyEntries)).Select(kv => kv.Split('=', 2)))
            {
                if (kv.Length != 2) throw new ArgumentException($"--set expects key=value pairs separated by ';' (got '{kv[0]}').");
                overrides[kv[0].Trim()] = kv[1].Trim();
            }
            var options = new HomeworkOptions
            {
                Size = isFull ? RunSize.Full : isTiny ? RunSize.Tiny : RunSize.Quick,
                Parts = r.GetValue(only)!.Select(p => int.TryParse(p, out int n) ? n
                    : throw new ArgumentException($"--parts takes part numbers 1..6 (got '{p}').")).ToList(),
                Force = r.GetValue(force),
                Run = s with { Quick = false }, // --quick is a size here, like --full and --tiny
                DataDirectory = r.GetValue(dataDir),
                Overrides = overrides,
            };
            // Unknown --set keys and --parts numbers are rejected by the runner before any part starts; --threads
            // reaches every part through options.Run.
            var records = HomeworkRunner.Run(options, parts);
            Console.WriteLine($"report {Path.Combine(options.ReportFolder, "report.md")}: {records.Count(x => x.Ok)} ok, {records.Count(x => !x.Ok)} failed");
            return records.All(x => x.Ok) ? CliApp.Success : CliApp.Failure;
        });
        return root;
    }
}
