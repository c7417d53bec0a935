// MlNetHwTool <experiment> [options]: the registry's experiments, the main job (homework) and the dataset catalog (datasets)
// under one command. Options: --help, and <sub-command> --help.
return MlNetHw.Cli.MlNetHwCommand.Run(args);
