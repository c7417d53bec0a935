using MlNetHw.Cli;
using MlNetHw.Homework;
using MlNetHw.Homework.Parts;

// The main job: `dotnet run -c Release --project pipelines/Homework [-- --quick|--full|--tiny] [--parts 1,3,6] [--force]`.
try
{
    var a = new CommandLineArgs(args);
    if (a.HelpRequested)
    {
        Console.WriteLine("""
            usage: dotnet run -c Release --project pipelines/Homework -- [options]
              --quick            sizes for <= 30 minutes on 2 CPU cores (default)
              --full             the homework's reference settings (hours on a CPU)
              --tiny             seconds per part: checks the job itself, numbers mean little
              --parts 1,3,6      run only these parts (default: all six)
              --force            rerun parts whose earlier results are up to date
              --seed N           seed of every part (default 1)
              --device D         auto|cpu|cuda (default auto)
              --out DIR          report folder (default out/homework)
              --data-dir DIR     dataset cache folder
              --set key=value    per-part override, repeatable as key=value;key=value (e.g. text.data=/my/sentences)
            """);
        return 0;
    }
    bool full = a.Flag("--full"), tiny = a.Flag("--tiny"), quick = a.Flag("--quick");
    if (new[] { full, tiny, quick }.Count(x => x) > 1) throw new ArgumentException("choose one of --quick, --full, --tiny.");
    var overrides = (a.String("--set") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0].Trim(), kv => kv.Length == 2 ? kv[1].Trim()
            : throw new ArgumentException($"--set expects key=value pairs separated by ';' (got '{kv[0]}')."));
    var options = new HomeworkOptions
    {
        Size = full ? RunSize.Full : tiny ? RunSize.Tiny : RunSize.Quick,
        Parts = a.List("--parts", Array.Empty<string>()).Select(p => int.TryParse(p, out int n) ? n
            : throw new ArgumentException($"--parts takes part numbers 1..6 (got '{p}').")).ToList(),
        Force = a.Flag("--force"),
        Seed = a.Number("--seed", 1),
        Device = a.String("--device", "auto")!,
        OutputDirectory = a.String("--out", Path.Combine("out", "homework"))!,
        DataDirectory = a.String("--data-dir"),
        Overrides = overrides,
    };
    a.ThrowOnUnknown();
    var records = HomeworkRunner.Run(options, HomeworkParts.All());
    return records.All(r => r.Ok) ? 0 : 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
