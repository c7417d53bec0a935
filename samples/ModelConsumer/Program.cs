// How an app embeds a trained MlNetHw model: load the .zip, predict. Input rows are JSON objects whose properties are
// the model's input columns (printed by --info), e.g.
//   {"Text": "great phone, battery lasts"}           (a text classifier)
//   {"Features": [0.1, -1.2, 0.4, 2.0]}              (the TorchMlp worked example on blobs)
// With compile-time row classes an app would rather write:
//   var model = ModelArchive.Load(mlContext, "model.zip");
//   var engine = mlContext.Model.CreatePredictionEngine<MyInput, MyPrediction>(model);
// The command line (and the code an app would copy) is ModelConsumerCommand.cs next to this file. Options: --help.
return MlNetHw.Samples.ModelConsumer.ModelConsumerCommand.Run(args);
