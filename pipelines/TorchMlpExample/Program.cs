// The worked example of a TorchSharp-backed ML.NET estimator: featurizer → TorchMlp, trained, evaluated, saved as
// one .zip that pipelines/ModelConsumer loads. All logic lives in MlNetHw.MlNet.Mlp.TorchMlpExample; the command line
// is TorchMlpExampleCommand.cs next to this file. Options: --help.
return MlNetHw.Cli.TorchMlpExampleCommand.Run(args);
