using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MlNetHw.Tests.Architecture;

/// <summary>
/// The layer rule of docs/architecture.md, checked on the compiled library: every namespace of MlNetHw.dll has a
/// layer; a type may use types of its own layer or lower ones, never higher; experiments never use each other; and
/// the library never writes the console (progress and logs go through the TextWriter/IProgress the caller passes).
/// The walk reads IL with Mono.Cecil, so fully qualified names and method bodies count, not only using directives.
/// </summary>
[TestClass]
public sealed class LayeringTests
{
    /// <summary>Namespace → layer. A namespace below one listed here belongs to it (MlNetHw.MlNet.Training → kernel).</summary>
    internal static readonly (string Namespace, Layer Layer)[] Layers =
    {
        ("MlNetHw.Torch", Layer.Kernel),
        ("MlNetHw.MlNet", Layer.Kernel),
        ("MlNetHw.IO", Layer.Kernel),
        ("MlNetHw.Recurrent", Layer.Shared),
        ("MlNetHw.Onnx", Layer.Shared),
        ("MlNetHw.Backbones", Layer.Shared),
        ("MlNetHw.Data", Layer.Shared),
        ("MlNetHw.Datasets", Layer.Shared),
        ("MlNetHw.Reporting", Layer.Shared),
        ("MlNetHw.Runs", Layer.Shared),
        ("MlNetHw.Vision", Layer.Experiment),
        ("MlNetHw.Style", Layer.Experiment),
        ("MlNetHw.RecurrentLayers", Layer.Experiment),
        ("MlNetHw.Captioning", Layer.Experiment),
        ("MlNetHw.Text", Layer.Experiment),
        ("MlNetHw.Experiments", Layer.Experiment),
        ("MlNetHw.Homework", Layer.MainJob),
    };

    internal enum Layer { Kernel, Shared, Experiment, MainJob }

    static readonly Lazy<IReadOnlyList<(string From, string To)>> Edges = new(ReadEdges);

    [TestMethod]
    public void EveryNamespaceOfTheLibraryHasALayer()
    {
        using var module = ModuleDefinition.ReadModule(typeof(MlNetHw.Torch.TorchRuntime).Assembly.Location);
        var unassigned = module.Types.Select(t => t.Namespace).Where(n => n.StartsWith("MlNetHw", StringComparison.Ordinal))
            .Distinct().Where(n => LayerOf(n) is null).Order().ToList();
        Assert.AreEqual(0, unassigned.Count, "namespaces without a layer (add them to LayeringTests.Layers and docs/architecture.md): " + string.Join(", ", unassigned));
    }

    [TestMethod]
    public void NoTypeUsesAHigherLayer()
    {
        var violations = Edges.Value
            .Where(e => LayerOf(Namespace(e.To)) is { } to && LayerOf(Namespace(e.From)) is { } from && to.Layer > from.Layer)
            .Select(e => $"{e.From} ({LayerOf(Namespace(e.From))!.Value.Layer}) uses {e.To} ({LayerOf(Namespace(e.To))!.Value.Layer})")
            .Distinct().Order().ToList();
        Assert.AreEqual(0, violations.Count, "upward dependencies:\n" + string.Join("\n", violations.Take(40)));
    }

    [TestMethod]
    public void ExperimentsDoNotUseEachOther()
    {
        var violations = Edges.Value
            .Where(e => LayerOf(Namespace(e.From)) is { Layer: Layer.Experiment } from && LayerOf(Namespace(e.To)) is { Layer: Layer.Experiment } to
                        && from.Namespace != to.Namespace)
            .Select(e => $"{e.From} uses {e.To}").Distinct().Order().ToList();
        Assert.AreEqual(0, violations.Count, "experiment → experiment dependencies (move the shared piece into a shared layer):\n" + string.Join("\n", violations.Take(40)));
    }

    [TestMethod]
    public void TheLibraryNeverWritesTheConsole()
    {
        var users = Edges.Value.Where(e => e.To == "System.Console").Select(e => e.From).Distinct().Order().ToList();
        Assert.AreEqual(0, users.Count, "types that use System.Console (take a TextWriter or IProgress<T> from the caller instead): " + string.Join(", ", users));
    }

    /// <summary>The rule is able to fail: a made-up kernel type that uses an experiment is reported.</summary>
    [TestMethod]
    public void AnUpwardEdgeIsRecognised()
    {
        Assert.AreEqual(Layer.Kernel, LayerOf("MlNetHw.MlNet.Training")!.Value.Layer);
        Assert.AreEqual(Layer.Experiment, LayerOf("MlNetHw.Text")!.Value.Layer);
        Assert.IsNull(LayerOf("MlNetHw.Textual"), "a prefix only matches whole namespace segments");
        var edges = ReadEdges(typeof(LayeringTests).Assembly.Location);
        Assert.IsTrue(edges.Any(e => e.From == typeof(LayeringTests).FullName && e.To == typeof(Mono.Cecil.ModuleDefinition).FullName),
            "the IL walk sees a method body's calls");
    }

    internal static (string Namespace, Layer Layer)? LayerOf(string ns)
    {
        foreach (var entry in Layers.OrderByDescending(l => l.Namespace.Length))
            if (ns == entry.Namespace || ns.StartsWith(entry.Namespace + ".", StringComparison.Ordinal)) return entry;
        return null;
    }

    static string Namespace(string fullName)
    {
        int plus = fullName.IndexOf('/');
        if (plus >= 0) fullName = fullName[..plus];
        int dot = fullName.LastIndexOf('.');
        return dot < 0 ? "" : fullName[..dot];
    }

    static IReadOnlyList<(string From, string To)> ReadEdges() => ReadEdges(typeof(MlNetHw.Torch.TorchRuntime).Assembly.Location);

    /// <summary>Every (type, referenced type) pair of an assembly: base types, interfaces, fields, signatures, attributes and IL operands.</summary>
    static IReadOnlyList<(string From, string To)> ReadEdges(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new HashSet<(string, string)>();
        foreach (var type in module.GetTypes())
        {
            var outer = type;
            while (outer.DeclaringType is not null) outer = outer.DeclaringType; // nested and compiler-generated types count as their outer type
            string from = outer.FullName;
            void Add(TypeReference? t)
            {
                if (t is null) return;
                switch (t)
                {
                    case GenericInstanceType g: Add(g.ElementType); foreach (var a in g.GenericArguments) Add(a); return;
                    case TypeSpecification s: Add(s.ElementType); return;
                    case GenericParameter: return;
                }
                var top = t;
                while (top.DeclaringType is not null) top = top.DeclaringType;
                edges.Add((from, top.FullName));
            }
            void AddAttributes(Mono.Collections.Generic.Collection<CustomAttribute> attributes)
            {
                foreach (var a in attributes) Add(a.AttributeType);
            }
            Add(type.BaseType);
            AddAttributes(type.CustomAttributes);
            foreach (var i in type.Interfaces) Add(i.InterfaceType);
            foreach (var f in type.Fields) { Add(f.FieldType); AddAttributes(f.CustomAttributes); }
            foreach (var p in type.Properties) { Add(p.PropertyType); AddAttributes(p.CustomAttributes); }
            foreach (var e in type.Events) Add(e.EventType);
            foreach (var m in type.Methods)
            {
                Add(m.ReturnType);
                AddAttributes(m.CustomAttributes);
                foreach (var p in m.Parameters) Add(p.ParameterType);
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Add(v.VariableType);
                foreach (var ins in m.Body.Instructions)
                    switch (ins.Operand)
                    {
                        case TypeReference t: Add(t); break;
                        case MethodReference mr:
                            Add(mr.DeclaringType); Add(mr.ReturnType);
                            foreach (var p in mr.Parameters) Add(p.ParameterType);
                            if (mr is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) Add(a);
                            break;
                        case FieldReference fr: Add(fr.DeclaringType); Add(fr.FieldType); break;
                    }
            }
        }
        return edges.Where(e => e.Item1 != e.Item2).ToList();
    }
}
