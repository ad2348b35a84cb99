namespace Ipg.Guidance;

/// <summary>Which per-item term of a prepared target a <see cref="ITermGuidance"/> model reads.</summary>
internal enum TargetTerm
{
    /// <summary><see cref="GuidanceTarget.TargetDots"/>: <c>t·ê_i</c>.</summary>
    Dots,

    /// <summary><see cref="GuidanceTarget.TargetCosines"/>: the cosine term.</summary>
    Cosines,
}

/// <summary>
/// A guidance model whose g of item i is a non-decreasing function of one per-item term of the target
/// (<see cref="Term"/>, e.g. <c>t·ê_i</c>) and of a user term alone: it never reads p̂ or the logits. The compact
/// catalogue path (<see cref="IpgOptions.CompactTable"/>) relies on both facts: it computes g exactly for a range of
/// the catalogue at a time, with the same arithmetic as the model's catalogue form, and finds S = max |g| at the
/// term's extremes. <see cref="LinearGuidance"/> (every form has a positive item weight) and
/// <see cref="CosineGuidance"/> implement it.
/// </summary>
internal interface ITermGuidance
{
    /// <summary>The per-item term g is a non-decreasing function of.</summary>
    TargetTerm Term { get; }

    /// <summary>The user's term (<c>t·ê_u</c>, or the cosine term of ê_u): what <see cref="Guidance"/> takes.</summary>
    float UserTerm(GuidanceTarget target, ReadOnlySpan<float> user);

    /// <summary>
    /// g of the items whose terms are <paramref name="terms"/> (may alias <paramref name="guidance"/>), bit for bit
    /// what <see cref="IGuidanceModel.ComputeGuidance"/> writes for them over the catalogue or a candidate list; for
    /// any other term values, the same non-decreasing function (the compact path's bounds).
    /// </summary>
    void Guidance(ReadOnlySpan<float> terms, float userTerm, Span<float> guidance);
}
