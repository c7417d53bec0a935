using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetHw.MlNet;

/// <summary>
/// Base of an ML.NET estimator whose <c>Fit</c> trains a TorchSharp module and returns a
/// <see cref="TorchTransformer{TModel}"/>. A subclass declares the columns training reads
/// (<see cref="TrainingColumns"/>, e.g. features and label) and the columns the fitted model adds
/// (<see cref="OutputColumns"/>), and implements <see cref="Train"/>; schema checks, logging and wrapping are here.
/// </summary>
public abstract class TorchEstimator<TModel> : IEstimator<TorchTransformer<TModel>> where TModel : TorchModel
{
    /// <summary>The ML.NET environment (the <see cref="MLContext"/>), for logging and seeds.</summary>
    protected IHostEnvironment Environment { get; }

    /// <summary>Name used in messages and the log (e.g. "TorchMlp").</summary>
    protected string Name { get; }

    /// <summary>Base constructor: the ML.NET environment and the trainer's name for messages.</summary>
    protected TorchEstimator(IHostEnvironment environment, string name)
    {
        Environment = environment ?? throw new ArgumentNullException(nameof(environment));
        Name = name;
    }

    /// <summary>Columns <see cref="Fit"/> reads, with accepted types.</summary>
    protected abstract IReadOnlyList<TorchColumn> TrainingColumns { get; }

    /// <summary>Columns the fitted model adds (types as far as they are known before training).</summary>
    protected abstract IReadOnlyList<TorchColumn> OutputColumns { get; }

    /// <summary>Trains the model on <paramref name="trainData"/> (schema already checked). Log through <paramref name="channel"/>.</summary>
    protected abstract TModel Train(IDataView trainData, IChannel channel);

    /// <summary>Checks the schema, trains, and wraps the trained model in a transformer.</summary>
    public TorchTransformer<TModel> Fit(IDataView input)
    {
        SchemaChecks.CheckInputs(input.Schema, TrainingColumns, Name);
        var host = Environment.Register(Name);
        using var channel = host.Start("Fit");
        var model = Train(input, channel);
        return new TorchTransformer<TModel>(model);
    }

    /// <summary>The input shape plus <see cref="OutputColumns"/>; throws <see cref="SchemaMismatchException"/> for a missing or mistyped training column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.CheckInputs(inputSchema, TrainingColumns, Name);
        return SchemaChecks.Append(inputSchema, OutputColumns);
    }
}

/// <summary>Helpers for catalog extension methods.</summary>
public static class CatalogEnvironment
{
    /// <summary>
    /// The <see cref="IHostEnvironment"/> (the <see cref="MLContext"/>) behind an ML.NET catalog such as
    /// <c>mlContext.BinaryClassification.Trainers</c>. ML.NET keeps it behind an internal interface, so it is read by
    /// reflection; the error says so if a future ML.NET moves it.
    /// </summary>
    public static IHostEnvironment Of(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var iface = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.Name == "IInternalCatalog");
        var property = iface?.GetProperty("Environment", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        if (property?.GetValue(catalog) is IHostEnvironment env) return env;
        throw new InvalidOperationException($"cannot reach the MLContext behind {catalog.GetType().Name} in this ML.NET version; " +
                                            "construct the MlNetHw estimator directly with the MLContext instead");
    }
}
