// The dataset catalog's command line: list, fetch, verify, path (see docs/datasets.md).
return MlNetHw.Datasets.DatasetsCommand.Run(args);
