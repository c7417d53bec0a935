// The dataset catalog's command line: list, fetch, verify, path, hash (see docs/datasets.md). Options: --help.
return MlNetHw.Cli.DatasetsCommand.Run(args);
