using Ipg.Guidance;

namespace Ipg;

/// <summary>
/// Options of <see cref="IpgReranker"/>. Immutable once built; validated by the re-ranker's constructor.
/// </summary>
/// <remarks>
/// <para>Defaults, chosen by measurement (docs/guidance.md, "The default"): <see cref="CosineGuidance"/> (the form
/// the authors' code runs) at strength λ = 0.35 with <see cref="NegativeGuidancePolicy.AccuracyFallback"/>. On the
/// paper world and on the MovieLens-1M and LastFM worlds it is dominated by no baseline, unlike the paper's
/// equation at full strength, which Rec2Inf beats in both hit rate and interest on all three.</para>
/// <para>Use <see cref="Paper"/> to run exactly as published (the paper's Increase form with γ = 0.8, the raw
/// product, λ = 1).</para>
/// </remarks>
public sealed record IpgOptions
{
    /// <summary>The service defaults: the cosine form at λ = 0.35, accuracy fallback for negative guidance (the same as <c>new IpgOptions()</c>).</summary>
    public static IpgOptions Default { get; } = new();

    /// <summary>The method as published: Increase form, γ = 0.8, raw product <c>p̂·g</c> for every candidate, λ = 1.</summary>
    public static IpgOptions Paper { get; } = new() { Guidance = LinearGuidance.Default, NegativeGuidance = NegativeGuidancePolicy.Raw, Strength = 1f };

    /// <summary>
    /// The guidance model that writes g (the seam; see <see cref="IGuidanceModel"/>). Default
    /// <see cref="CosineGuidance.Instance"/>; <see cref="LinearGuidance.Default"/> is the paper's equation.
    /// </summary>
    public IGuidanceModel Guidance { get; init; } = CosineGuidance.Instance;

    /// <summary>What to do with candidates whose guiding score is not positive. Default <see cref="NegativeGuidancePolicy.AccuracyFallback"/>.</summary>
    public NegativeGuidancePolicy NegativeGuidance { get; init; } = NegativeGuidancePolicy.AccuracyFallback;

    /// <summary>
    /// The default guidance strength λ in <c>[0, 1]</c>, used when a call does not pass its own: 0 ranks exactly
    /// as the base recommender (by the logit <c>ê_u·ê_i</c>), 1 is full IPG, values between move along the
    /// accuracy/guidance trade-off (the formula is on <see cref="IpgReranker"/>). Default 0.35 (see the remarks);
    /// <see cref="Paper"/> uses 1.
    /// </summary>
    public float Strength { get; init; } = 0.35f;

    /// <summary>
    /// The acceptance estimate p̂ the product <c>p̂·g</c> uses: null (default) takes the encoder's own
    /// <see cref="ISequentialEncoder.ComputeProbabilities"/>; an <see cref="AcceptanceCalibration"/> fitted on an
    /// impression log replaces it. The ranking at λ = 0 (by the logit) does not depend on it.
    /// </summary>
    public AcceptanceCalibration? Acceptance { get; init; }

    /// <summary>
    /// Opt-in two-stage catalogue scoring for large catalogues: null (default) scores every item in fp32. With a
    /// table built from the encoder's <see cref="ISequentialEncoder.ItemEmbeddings"/>, the catalogue-wide calls
    /// (<see cref="IpgReranker.RerankCatalogue"/>, <c>Recommend</c>, <c>RerankBatch</c>) compute every item's ranking
    /// key from int8 logits in one pass over this table, keep the best <see cref="CompactShortlist"/> by that key,
    /// re-score them exactly in fp32 and return the exact top-K of the shortlist: the result equals the fp32 path
    /// whenever the fp32 top-K is in the shortlist (docs/performance.md, "Large catalogues", measures how often).
    /// Candidate-list calls are always exact.
    /// </summary>
    /// <remarks>
    /// Needs a guidance model whose g does not depend on p̂ — <see cref="LinearGuidance"/> (every form, also a
    /// <see cref="LookAheadFit"/>'s) or <see cref="CosineGuidance"/> — and an element-wise p̂ (the sigmoid, or
    /// <see cref="Acceptance"/>); the re-ranker's constructor refuses anything else (an exact look-ahead, a planned or
    /// custom model, an encoder whose p̂ is a softmax over the catalogue) rather than fall back silently.
    /// </remarks>
    public CompactItemTable? CompactTable { get; init; }

    /// <summary>
    /// M, how many items the compact first stage passes to the exact re-score (<see cref="CompactTable"/>): null
    /// (default) means <c>max(4·K, 256)</c>; a smaller value than K counts as K. When M is more than half the
    /// catalogue, the call scores every item in fp32 instead (the same result). Ignored without a compact table.
    /// </summary>
    public int? CompactShortlist { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentNullException"><see cref="Guidance"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The negative-guidance policy is undefined, λ is not a finite value in <c>[0, 1]</c>, or the compact shortlist is below 1.</exception>
    public void Validate()
    {
        if (Guidance is null)
        {
            throw new ArgumentNullException(nameof(Guidance), "A guidance model is required (e.g. LinearGuidance.Default).");
        }

        if (!Enum.IsDefined(NegativeGuidance))
        {
            throw new ArgumentOutOfRangeException(nameof(NegativeGuidance), NegativeGuidance, "Unknown negative-guidance policy.");
        }

        ValidateStrength(Strength, nameof(Strength));
        Acceptance?.Validate();
        if (CompactShortlist is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CompactShortlist), CompactShortlist, "The compact shortlist M must be at least 1 (null = max(4·K, 256)).");
        }
    }

    /// <summary>Throws unless λ is a finite value in <c>[0, 1]</c>.</summary>
    internal static void ValidateStrength(float strength, string paramName)
    {
        if (!float.IsFinite(strength) || strength < 0f || strength > 1f)
        {
            throw new ArgumentOutOfRangeException(paramName, strength, "The guidance strength λ must be a finite value in [0, 1]: 0 = the base recommender, 1 = full IPG.");
        }
    }
}
