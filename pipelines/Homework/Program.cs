// The main job: `dotnet run -c Release --project pipelines/Homework [-- --quick|--full|--tiny] [--parts 1,3,6] [--force]`.
// Options: --help. The command line is MlNetHw.Cli.HomeworkCommand.
return MlNetHw.Cli.HomeworkCommand.Run(args);
