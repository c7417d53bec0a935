using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>
/// One column a TorchSharp-backed transformer reads or writes: its name, its ML.NET type and (for outputs) its
/// annotations. Values reach the model author as plain .NET values, converted by <see cref="TorchColumn"/>:
/// <list type="table">
/// <item><term>Vector&lt;T&gt;</term><description><c>T[]</c> (dense copy)</description></item>
/// <item><term>Text</term><description><c>string</c></description></item>
/// <item><term>Single, Double, Boolean, Int32, Int64</term><description>the value itself</description></item>
/// <item><term>Key&lt;UInt32&gt;</term><description><c>uint</c> (1-based; 0 is missing, as in ML.NET)</description></item>
/// </list>
/// </summary>
public sealed class TorchColumn
{
    /// <summary>Column name.</summary>
    public string Name { get; }

    /// <summary>ML.NET type. For inputs, a vector type of unknown size (<see cref="VectorDataViewType.Size"/> 0) accepts any size.</summary>
    public DataViewType Type { get; }

    /// <summary>Annotations attached to an output column (e.g. key values of a predicted label); null for none.</summary>
    public DataViewSchema.Annotations? Annotations { get; }

    /// <summary>A column named <paramref name="name"/> of ML.NET type <paramref name="type"/>, with optional output annotations.</summary>
    public TorchColumn(string name, DataViewType type, DataViewSchema.Annotations? annotations = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("column name must not be empty", nameof(name));
        Name = name;
        Type = type ?? throw new ArgumentNullException(nameof(type));
        Annotations = annotations;
        ValueConversion.Check(type, name);
    }

    /// <summary>A <c>float[]</c> column (Vector&lt;Single&gt;); <paramref name="size"/> 0 = any size.</summary>
    public static TorchColumn FloatVector(string name, int size = 0) => new(name, new VectorDataViewType(NumberDataViewType.Single, size));

    /// <summary>A <c>float</c> column.</summary>
    public static TorchColumn Single(string name) => new(name, NumberDataViewType.Single);

    /// <summary>A <c>bool</c> column.</summary>
    public static TorchColumn Boolean(string name) => new(name, BooleanDataViewType.Instance);

    /// <summary>A <c>string</c> column (ML.NET text).</summary>
    public static TorchColumn Text(string name) => new(name, TextDataViewType.Instance);

    /// <summary>A <c>string[]</c> column (e.g. tokens).</summary>
    public static TorchColumn TextVector(string name) => new(name, new VectorDataViewType(TextDataViewType.Instance));

    /// <summary>
    /// A key column (<c>uint</c>, 1-based) over <paramref name="labels"/>, carrying the <c>KeyValues</c> annotation so
    /// <c>MapKeyToValue</c> and the multiclass evaluator can turn keys back into label names.
    /// </summary>
    public static TorchColumn Key(string name, IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) throw new ArgumentException("a key column needs at least one label", nameof(labels));
        var values = new VBuffer<ReadOnlyMemory<char>>(labels.Count, labels.Select(l => l.AsMemory()).ToArray());
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, labels.Count),
            (ref VBuffer<ReadOnlyMemory<char>> dst) => values.CopyTo(ref dst));
        return new TorchColumn(name, new KeyDataViewType(typeof(uint), labels.Count), builder.ToAnnotations());
    }

    /// <summary>True when an actual column type satisfies this (input) column's declared type.</summary>
    public bool Accepts(DataViewType actual) => Accepts(Type, actual);

    internal static bool Accepts(DataViewType expected, DataViewType actual)
    {
        if (expected is VectorDataViewType ev)
            return actual is VectorDataViewType av && av.ItemType.Equals(ev.ItemType) && (ev.Size == 0 || av.Size == ev.Size);
        if (expected is KeyDataViewType ek)
            return actual is KeyDataViewType ak && ak.RawType == ek.RawType && (ek.Count == 0 || ak.Count == ek.Count);
        return expected.Equals(actual);
    }

    /// <summary>A readable name of a type, as in messages: <c>Vector&lt;Single, 4&gt;</c>, <c>Vector&lt;Single&gt;</c> (any size), <c>Key&lt;UInt32, 3&gt;</c>.</summary>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v => v.Size == 0 ? $"Vector<{Describe(v.ItemType)}> (any size)" : $"Vector<{Describe(v.ItemType)}, {v.Size}>",
        KeyDataViewType k => k.Count == 0 ? $"Key<{k.RawType.Name}>" : $"Key<{k.RawType.Name}, {k.Count}>",
        TextDataViewType => "String",
        _ => type.RawType.Name,
    };

    /// <summary>"name: type", as in error messages.</summary>
    public override string ToString() => $"{Name}: {Describe(Type)}";
}
