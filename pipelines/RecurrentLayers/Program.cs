// Homework parts 3 and 4: gradient checks of the hand-written RNN/LSTM layers and a ManualLstm training demo.
// Options: --help. The command line is MlNetHw.Cli.RecurrentLayersCommand.
return MlNetHw.Cli.RecurrentLayersCommand.Run(args);
