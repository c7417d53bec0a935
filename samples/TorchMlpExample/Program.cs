// The worked example of a TorchSharp-backed ML.NET estimator: featurizer → TorchMlp, trained, evaluated, saved as
// one .zip that samples/ModelConsumer loads. All logic lives in TorchMlpExample.cs (MlNetHw.Samples.TorchMlp); the command line
// is TorchMlpExampleCommand.cs next to this file. Options: --help.
return MlNetHw.Samples.TorchMlp.TorchMlpExampleCommand.Run(args);
