// Homework part 5: image captioning. Options: --help. The command line is MlNetHw.Cli.ImageCaptioningCommand.
return MlNetHw.Cli.ImageCaptioningCommand.Run(args);
