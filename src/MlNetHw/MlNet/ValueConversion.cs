using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>
/// Moves values between ML.NET's raw column representations (<c>VBuffer&lt;T&gt;</c>, <c>ReadOnlyMemory&lt;char&gt;</c>)
/// and the plain .NET values model authors work with (<c>T[]</c>, <c>string</c>), one conversion per column type.
/// </summary>
internal abstract class ValueConversion
{
    /// <summary>The .NET type model authors see (<c>float[]</c>, <c>string</c>, <c>bool</c>...).</summary>
    public abstract Type ValueType { get; }

    /// <summary>A <c>ValueType[]</c> of length <paramref name="n"/>.</summary>
    public abstract Array CreateArray(int n);

    /// <summary>An action that reads the row's current value of <paramref name="column"/> into <c>target[i]</c>.</summary>
    public abstract Action<int> CreateReader(DataViewRow row, DataViewSchema.Column column, Array target);

    /// <summary>A <c>ValueGetter&lt;TRaw&gt;</c> that serves <c>values[index]</c> of whatever <paramref name="current"/> returns.</summary>
    public abstract Delegate CreateGetter(Func<(Array Values, int Index)> current);

    public static ValueConversion For(DataViewType type)
    {
        switch (type)
        {
            case TextDataViewType:
                return new Conversion<ReadOnlyMemory<char>, string>(r => r.ToString(), (string v, ref ReadOnlyMemory<char> dst) => dst = (v ?? "").AsMemory());
            case VectorDataViewType { ItemType: TextDataViewType }:
                return new Conversion<VBuffer<ReadOnlyMemory<char>>, string[]>(
                    r => r.DenseValues().Select(m => m.ToString()).ToArray(),
                    (string[] v, ref VBuffer<ReadOnlyMemory<char>> dst) =>
                    {
                        var editor = VBufferEditor.Create(ref dst, v.Length);
                        for (int i = 0; i < v.Length; i++) editor.Values[i] = (v[i] ?? "").AsMemory();
                        dst = editor.Commit();
                    });
            case VectorDataViewType vector when vector.ItemType is PrimitiveDataViewType and not TextDataViewType:
                return (ValueConversion)Activator.CreateInstance(typeof(VectorConversion<>).MakeGenericType(vector.ItemType.RawType))!;
            case PrimitiveDataViewType primitive when primitive.RawType.IsValueType:
                return (ValueConversion)Activator.CreateInstance(typeof(Identity<>).MakeGenericType(primitive.RawType))!;
            default:
                throw new NotSupportedException($"column type {TorchColumn.Describe(type)} is not supported by TorchSharp-backed transformers " +
                                                "(supported: vectors of numbers/bool/text, text, numbers, bool, keys)");
        }
    }

    /// <summary>Throws when <paramref name="type"/> has no conversion, naming the column.</summary>
    public static void Check(DataViewType type, string column)
    {
        try { For(type); }
        catch (NotSupportedException e) { throw new ArgumentException($"column '{column}': {e.Message}", e); }
    }

    internal delegate void FromValue<TValue, TRaw>(TValue value, ref TRaw dst);

    internal class Conversion<TRaw, TValue> : ValueConversion
    {
        readonly Func<TRaw, TValue> _toValue;
        readonly FromValue<TValue, TRaw> _fromValue;

        public Conversion(Func<TRaw, TValue> toValue, FromValue<TValue, TRaw> fromValue)
        {
            _toValue = toValue;
            _fromValue = fromValue;
        }

        public override Type ValueType => typeof(TValue);
        public override Array CreateArray(int n) => new TValue[n];

        public override Action<int> CreateReader(DataViewRow row, DataViewSchema.Column column, Array target)
        {
            var getter = row.GetGetter<TRaw>(column);
            var typed = (TValue[])target;
            TRaw raw = default!;
            return i =>
            {
                getter(ref raw);
                typed[i] = _toValue(raw);
            };
        }

        public override Delegate CreateGetter(Func<(Array Values, int Index)> current) =>
            (ValueGetter<TRaw>)((ref TRaw dst) =>
            {
                var (values, index) = current();
                _fromValue(((TValue[])values)[index], ref dst);
            });
    }

    sealed class Identity<T> : Conversion<T, T>
    {
        public Identity() : base(r => r, (T v, ref T dst) => dst = v) { }
    }

    sealed class VectorConversion<T> : Conversion<VBuffer<T>, T[]>
    {
        public VectorConversion() : base(ToArray, FromArray) { }

        static T[] ToArray(VBuffer<T> buffer)
        {
            var dense = new T[buffer.Length];
            buffer.CopyTo(dense);
            return dense;
        }

        static void FromArray(T[] values, ref VBuffer<T> dst)
        {
            // Copy into the consumer's buffer so nobody downstream can mutate the model's output array.
            var editor = VBufferEditor.Create(ref dst, values.Length);
            values.AsSpan().CopyTo(editor.Values);
            dst = editor.Commit();
        }
    }
}
