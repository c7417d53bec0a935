// Homework part 2: neural style transfer (MlNetHw.Style). Options: --help. The command line is MlNetHw.Cli.StyleTransferCommand.
return MlNetHw.Cli.StyleTransferCommand.Run(args);
