namespace Ipg;

/// <summary>
/// The guiding-score forms of spec §2, as configuration values (<see cref="Guidance.GuidanceModels.FromForm"/>); the
/// models themselves are <see cref="Guidance.LinearGuidance"/> and <see cref="Guidance.CosineGuidance"/>.
/// </summary>
public enum GuidanceForm
{
    /// <summary>
    /// The paper's equation: the <i>increase</i> of preference for the target,
    /// <c>g = ê_j·ê_u' − ê_j·ê_u = (1 − γ)·(ê_j·ê_i − ê_j·ê_u)</c>. γ only rescales g by a positive
    /// constant, so the ranking by <c>r = p̂·g</c> does not depend on γ. The default.
    /// </summary>
    Increase = 0,

    /// <summary>
    /// The design card's phrasing: the target embedding dotted with the updated user embedding,
    /// <c>g = ê_j·ê_u' = γ·(ê_j·ê_u) + (1 − γ)·(ê_j·ê_i)</c>. Here γ changes the ranking: a larger γ
    /// adds the same constant to every candidate's g, which weights p̂ more (accuracy); a smaller γ
    /// weights the target similarity more (guidance).
    /// </summary>
    Absolute = 1,

    /// <summary>
    /// What the authors' reference code runs: <c>g = cos(ê_i, ê_j) − cos(ê_u, ê_j)</c>, no γ.
    /// A zero-norm vector has cosine 0 with everything.
    /// </summary>
    Cosine = 2,
}
