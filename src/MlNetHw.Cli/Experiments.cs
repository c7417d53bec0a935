using System.CommandLine;
using MlNetHw.Homework;
using MlNetHw.Homework.Parts;

namespace MlNetHw.Cli;

/// <summary>One experiment: its command line, and the homework parts the main job runs and reports for it.</summary>
/// <param name="Id">The sub-command name in pipelines/MlNetHwTool (pipelines/MlNetHwTool) and the pipeline folder's theme.</param>
/// <param name="Create">Builds its command tree (<c>--help</c>, options, sub-commands).</param>
/// <param name="Parts">Its parts of the main job (numbers, titles, what the report shows).</param>
public sealed record ExperimentEntry(string Id, Func<RootCommand> Create, IReadOnlyList<IHomeworkPart> Parts);

/// <summary>
/// The registry of experiments: the one list that the command line (<c>pipelines/MlNetHwTool &lt;id&gt;</c>), the main job's parts
/// and its report are taken from. A new experiment is its library folder, one line here, and its tests.
/// </summary>
public static class Experiments
{
    /// <summary>Every experiment, in sub-command order: id, command tree and homework parts.</summary>
    public static IReadOnlyList<ExperimentEntry> All { get; } =
    [
        new("transfer-learning", TransferLearningCommand.Create, [new TransferLearningPart()]),
        new("style-transfer", StyleTransferCommand.Create, [new StyleTransferPart()]),
        new("recurrent-layers", RecurrentLayersCommand.Create, [RecurrentPart.Rnn(), RecurrentPart.Lstm()]),
        new("image-captioning", ImageCaptioningCommand.Create, [new CaptioningPart()]),
        new("text-classification", TextClassificationCommand.Create, [new TextClassificationPart()]),
    ];

    /// <summary>Every experiment's parts, in part order: what the main job runs.</summary>
    public static IReadOnlyList<IHomeworkPart> Parts => All.SelectMany(e => e.Parts).OrderBy(p => p.Number).ToList();
}

/// <summary>
/// <c>MlNetHwTool</c> (pipelines/MlNetHwTool): every experiment of the registry as a sub-command, plus the main job
/// (<c>homework</c>) and the dataset catalog (<c>datasets</c>).
/// </summary>
public static class MlNetHwCommand
{
    /// <summary>Parses <paramref name="args"/> (a sub-command and its options) and runs it; returns the exit code (<see cref="CliApp"/>).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The root command: every experiment of <see cref="Experiments.All"/>, <c>homework</c> and <c>datasets</c> as sub-commands.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("MlNetHw: the homework's experiments as ML.NET pipelines on TorchSharp. Each sub-command has its own --help.");
        foreach (var e in Experiments.All) root.Subcommands.Add(AsSubcommand(e.Id, e.Create()));
        root.Subcommands.Add(AsSubcommand("homework", HomeworkCommand.Create()));
        root.Subcommands.Add(AsSubcommand("datasets", DatasetsCommand.Create(MlNetHw.Datasets.DatasetCatalog.Default, Console.Out)));
        return root;
    }

    /// <summary>A program's root command as a named sub-command: the same options, sub-commands and action.</summary>
    static Command AsSubcommand(string name, RootCommand program)
    {
        var c = new Command(name, program.Description);
        foreach (var o in program.Options.Where(o => o is not System.CommandLine.Help.HelpOption and not VersionOption)) c.Options.Add(o);
        foreach (var a in program.Arguments) c.Arguments.Add(a);
        foreach (var s in program.Subcommands) c.Subcommands.Add(s);
        if (program.Action is { } action) c.Action = action;
        return c;
    }
}
