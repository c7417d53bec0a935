// Homework part 1: transfer learning with the packaged ResNet18 ('freeze' in ML.NET, 'finetune' in TorchSharp), plus a
// raw-pixel baseline. All logic is in MlNetHw.Vision.TransferLearningExperiment; the command line is
// MlNetHw.Cli.TransferLearningCommand. Options: --help.
return MlNetHw.Cli.TransferLearningCommand.Run(args);
