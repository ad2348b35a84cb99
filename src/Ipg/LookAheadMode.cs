namespace Ipg;

/// <summary>How the re-ranker predicts the user's representation after accepting a candidate.</summary>
public enum LookAheadMode
{
    /// <summary>
    /// The paper's linear assumption <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>: free (no encoder call), applied to
    /// every candidate.
    /// </summary>
    Linear = 0,

    /// <summary>
    /// Re-encode: for the top <see cref="IpgOptions.ExactCandidates"/> candidates by the linear score,
    /// encode the history with the candidate appended in one batched encoder call and use
    /// <c>ê_u' = ENC(s ⊕ i)</c> (so the Increase form's g is <c>ê_j·ENC(s ⊕ i) − ê_j·ENC(s)</c>, without the
    /// (1 − γ) factor). Costs one encoder call of M histories per user and request; needs the history, so it
    /// applies to <see cref="IpgReranker.Recommend"/> and <see cref="Policies.IpgPolicy"/>.
    /// </summary>
    Exact = 1,
}
