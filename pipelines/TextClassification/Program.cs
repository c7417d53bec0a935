// Part 6 of the homework: text classification as ML.NET pipelines (train, predict, verify). All logic is in MlNetHw.Text;
// the command line is MlNetHw.Cli.TextClassificationCommand. Options: --help, predict --help, verify --help.
return MlNetHw.Cli.TextClassificationCommand.Run(args);
