using System.Collections.Concurrent;
using System.Reflection;

namespace MlNetHw.MlNet;

/// <summary>
/// Loaders of <see cref="TorchModel"/> types by architecture name, used by <see cref="ModelArchive.Load(Microsoft.ML.MLContext, string)"/>.
/// Every type in MlNetHw marked <see cref="TorchArchitectureAttribute"/> is registered automatically; types in other
/// assemblies are found the same way the first time an unknown architecture is met (assemblies already loaded), or
/// are registered explicitly with <see cref="Register"/> / <see cref="RegisterAssembly"/>.
/// </summary>
public static class TorchModelRegistry
{
    static readonly ConcurrentDictionary<string, Func<TorchModelState, TorchModel>> Loaders = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<Assembly, bool> Scanned = new();

    static TorchModelRegistry() => RegisterAssembly(typeof(TorchModelRegistry).Assembly);

    /// <summary>Registers (or replaces) the loader of <paramref name="architecture"/>.</summary>
    public static void Register(string architecture, Func<TorchModelState, TorchModel> loader)
    {
        if (string.IsNullOrWhiteSpace(architecture)) throw new ArgumentException("architecture must not be empty", nameof(architecture));
        Loaders[architecture] = loader ?? throw new ArgumentNullException(nameof(loader));
    }

    /// <summary>
    /// Registers every <see cref="TorchArchitectureAttribute"/> type of <paramref name="assembly"/>; each must have
    /// <c>public static T Load(TorchModelState state)</c> returning the model.
    /// </summary>
    public static void RegisterAssembly(Assembly assembly)
    {
        if (!Scanned.TryAdd(assembly, true)) return;
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
        foreach (var type in types)
        {
            var attribute = type.GetCustomAttribute<TorchArchitectureAttribute>();
            if (attribute is null) continue;
            if (!typeof(TorchModel).IsAssignableFrom(type))
                throw new InvalidOperationException($"{type.FullName} has [TorchArchitecture(\"{attribute.Name}\")] but does not derive from TorchModel");
            var load = type.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(TorchModelState) }, null);
            if (load is null || !typeof(TorchModel).IsAssignableFrom(load.ReturnType))
                throw new InvalidOperationException($"{type.FullName} has [TorchArchitecture(\"{attribute.Name}\")] but no public static Load(TorchModelState) returning the model");
            var loader = (Func<TorchModelState, TorchModel>)(state =>
            {
                try { return (TorchModel)load.Invoke(null, new object[] { state })!; }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
            });
            Loaders.TryAdd(attribute.Name, loader);
        }
    }

    /// <summary>True when a loader for <paramref name="architecture"/> is known.</summary>
    public static bool IsRegistered(string architecture) => Loaders.ContainsKey(architecture);

    /// <summary>The registered architecture names.</summary>
    public static IReadOnlyCollection<string> Architectures => Loaders.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>Rebuilds a model from its saved state.</summary>
    public static TorchModel Load(TorchModelState state)
    {
        if (!Loaders.TryGetValue(state.Architecture, out var loader))
        {
            foreach (var a in AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic)) RegisterAssembly(a);
            if (!Loaders.TryGetValue(state.Architecture, out loader))
                throw new InvalidDataException(
                    $"no loader is registered for architecture '{state.Architecture}' (known: {string.Join(", ", Architectures)}); " +
                    "reference the assembly that defines it and call TorchModelRegistry.RegisterAssembly or Register");
        }
        return loader(state);
    }
}
