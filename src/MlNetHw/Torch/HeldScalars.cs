using TorchSharp;

namespace MlNetHw.Torch;

/// <summary>
/// Scalars that live for the whole process, for the hot paths that would otherwise let TorchSharp make a temporary
/// one per call. TorchSharp 0.107's <c>Tensor.add(Tensor)</c> passes an implicit <c>Scalar</c> alpha of 1 (and
/// <c>tensor + 1e-5</c> another) that nothing references once its native handle is read: if another thread triggers a
/// garbage collection during the native call, the finalizer can free it before libtorch reads it, and libtorch then
/// fails with "Expected false to be true" in <c>Scalar::toFloat</c> (seen once in a ResNet18 evaluation pass; the
/// upstream fix, disposing implicit scalars, is still open). A static field is always reachable, so it is never
/// finalized; a scalar held in a <c>using</c> variable is reachable until its scope ends.
/// </summary>
internal static class HeldScalars
{
    /// <summary>The integer 1 (valid as alpha for float and integer tensors alike).</summary>
    public static readonly Scalar One = 1L.ToScalar();
}
