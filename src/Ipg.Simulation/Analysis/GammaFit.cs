using Ipg.Guidance;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// The least-squares fit of the linear assumption to an encoder's real one-step moves (spec §2):
/// <c>ENC(s ⊕ i) ≈ γ·ENC(s) + (1 − γ)·ê_i</c> over many (history s, item i) pairs, and, for comparison, the
/// unconstrained two-coefficient fit <c>ENC(s ⊕ i) ≈ a·ENC(s) + b·ê_i</c>.
/// </summary>
/// <param name="Pairs">Number of (history, item) pairs fitted.</param>
/// <param name="Gamma">γ̂ = Σ(u − e)·(n − e) / Σ‖u − e‖² (u = ENC(s), e = ê_i, n = ENC(s ⊕ i)); NaN without pairs.</param>
/// <param name="RelativeResidual">
/// √(Σ‖n − [γ̂·u + (1 − γ̂)·e]‖²) / √(Σ‖n − u‖²), pooled over the pairs: the share of the move's length the
/// linear model leaves unexplained. 0 = the encoder is exactly linear; 1 = no better than predicting no
/// move (γ = 1), which the fit can always fall back to, so it never exceeds 1.
/// </param>
/// <param name="A">a of the unconstrained fit (coefficient of ENC(s)).</param>
/// <param name="B">b of the unconstrained fit (coefficient of ê_i).</param>
/// <param name="UnconstrainedRelativeResidual">The relative residual of the unconstrained fit (same denominator).</param>
/// <param name="MeanMoveNorm">Mean ‖ENC(s ⊕ i) − ENC(s)‖: how far one click moves the user.</param>
/// <param name="MeanUserNorm">Mean ‖ENC(s)‖, for scale.</param>
/// <param name="MeanItemNorm">Mean ‖ê_i‖, for scale.</param>
public sealed record GammaFit(
    long Pairs,
    double Gamma,
    double RelativeResidual,
    double A,
    double B,
    double UnconstrainedRelativeResidual,
    double MeanMoveNorm,
    double MeanUserNorm,
    double MeanItemNorm)
{
    /// <summary>
    /// γ̂ clamped into the range <see cref="LinearGuidance.Absolute"/> accepts, <c>[0, 0.999]</c>; NaN stays NaN.
    /// </summary>
    public float GammaForOptions => double.IsNaN(Gamma) ? float.NaN : (float)Math.Clamp(Gamma, 0.0, 0.999);

    /// <summary>
    /// The re-ranker options that use γ̂: the Absolute form (the only form whose ranking depends on γ; with the
    /// Increase form γ only rescales g), otherwise the paper's settings.
    /// </summary>
    /// <returns>The options.</returns>
    /// <exception cref="InvalidOperationException">No pairs were fitted (γ̂ is NaN).</exception>
    public IpgOptions ToAbsoluteOptions() => double.IsNaN(Gamma)
        ? throw new InvalidOperationException("No pairs were fitted, so there is no γ̂.")
        : IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(GammaForOptions) };
}
