namespace Ipg.Guidance;

/// <summary>
/// The guidance seam: a model of how much accepting a candidate would move the user towards the target.
/// For one user state and one target it writes the guiding score g of every candidate;
/// <see cref="IpgReranker"/> owns everything else exactly once — p̂, the product <c>r = p̂·g</c>, the
/// guidance strength, the negative-guidance policy, exclusions, top-K and tie-breaking, batch calls and
/// telemetry.
/// </summary>
/// <remarks>
/// <para>Built-in models: <see cref="LinearGuidance"/> (the paper's Increase form, the design card's Absolute
/// form, and the fitted affine move — all <c>g = b·t·ê_i + c·t·ê_u</c>, one kernel), <see cref="CosineGuidance"/>
/// (the authors' code) and <see cref="ExactLookAheadGuidance"/> (re-encode the history with each shortlisted
/// candidate appended). Write your own by implementing this interface; see <c>docs/guidance-models.md</c> and
/// <c>samples/CustomGuidance</c>.</para>
/// <para><b>Contract.</b> Write one value per candidate position (<see cref="GuidanceContext.CandidateCount"/>),
/// in the order of <see cref="GuidanceContext.ItemIdAt"/>. Positive means "moves the user towards the target".
/// NaN means "not a candidate": the item is never returned (used by shortlisting models). Implementations must
/// be thread-safe (one instance serves concurrent requests) and should allocate nothing per call: rent scratch
/// from <see cref="System.Buffers.ArrayPool{T}"/>. The model is not called when the strength is 0.</para>
/// </remarks>
public interface IGuidanceModel
{
    /// <summary>A short, stable description with the parameters, recorded in logs and results (e.g. <c>linear-increase(γ=0.8)</c>).</summary>
    string Name { get; }

    /// <summary>Writes the guiding score g of every candidate of <paramref name="context"/>.</summary>
    /// <param name="context">The user, the target, the candidates and their p̂ (valid during this call only).</param>
    /// <param name="guidance">Exactly <see cref="GuidanceContext.CandidateCount"/> values to fill.</param>
    void ComputeGuidance(in GuidanceContext context, Span<float> guidance);
}
