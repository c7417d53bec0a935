namespace MlNetHw.Recurrent;

/// <summary>One line of a gradient-check table: which gradient, its relative error and the bound it must meet.</summary>
/// <param name="Layer">Layer and variant, e.g. "LstmSequence (masked)".</param>
/// <param name="Parameter">The input or parameter whose gradient was checked (dx, dWh, ...).</param>
/// <param name="RelativeError">|a - n| / max(|a|, |n|), norms over all its elements (<see cref="GradientCheck.RelativeError"/>).</param>
/// <param name="Tolerance">The acceptance bound.</param>
/// <param name="Method">"numeric" (centred differences) or "autograd" (TorchSharp autograd of the reference forward).</param>
/// <param name="MaxElementwiseError">cs231n's element-wise maximum (<see cref="GradientCheck.MaxElementwiseRelativeError"/>), for reference.</param>
public sealed record GradientCheckRow(string Layer, string Parameter, double RelativeError, double Tolerance, string Method, double MaxElementwiseError)
{
    /// <summary>True when <see cref="RelativeError"/> is finite and below <see cref="Tolerance"/>.</summary>
    public bool Passed => RelativeError < Tolerance && double.IsFinite(RelativeError);
}
