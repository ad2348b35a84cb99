namespace Ipg;

/// <summary>How a configured guidance model predicts the user's representation after accepting a candidate (<see cref="Guidance.GuidanceModels.Create"/>).</summary>
public enum LookAheadMode
{
    /// <summary>
    /// The paper's one-step assumption <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>: free (no encoder call), applied to
    /// every candidate (<see cref="Guidance.LinearGuidance"/>, <see cref="Guidance.CosineGuidance"/>).
    /// </summary>
    Linear = 0,

    /// <summary>
    /// Re-encode the history with each of the best M candidates appended and use <c>ê_u' = ENC(s ⊕ i)</c>
    /// (<see cref="Guidance.ExactLookAheadGuidance"/>).
    /// </summary>
    Exact = 1,
}
