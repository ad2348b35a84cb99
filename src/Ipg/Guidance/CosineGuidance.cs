using System.Numerics.Tensors;

namespace Ipg.Guidance;

/// <summary>
/// What the authors' reference code runs: <c>g = cos(ê_i, t) − cos(ê_u, t)</c>, no γ. Normalising removes the
/// pull of items with large embeddings that the dot-product forms have with SASRec's unnormalised embeddings.
/// For a campaign, g is the weighted sum of the per-item cosine gains (see <see cref="GuidanceTarget"/>). A
/// zero-norm vector has cosine 0 with everything. One lookup in the target's prepared
/// <see cref="GuidanceTarget.TargetCosines"/> per candidate. Immutable and thread-safe.
/// </summary>
public sealed class CosineGuidance : IGuidanceModel, ITermGuidance
{
    private CosineGuidance()
    {
    }

    /// <summary>The model (it has no parameters).</summary>
    public static CosineGuidance Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "cosine";

    /// <inheritdoc />
    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        var target = context.Target;
        var cosines = target.TargetCosines;
        float userCosine = target.Cosine(context.UserEmbedding);
        if (context.IsCatalogue)
        {
            ((ITermGuidance)this).Guidance(cosines.Slice(1, guidance.Length), userCosine, guidance);
        }
        else
        {
            context.Gather(cosines, guidance);
            TensorPrimitives.Subtract(guidance, userCosine, guidance);
        }
    }

    /// <inheritdoc />
    TargetTerm ITermGuidance.Term => TargetTerm.Cosines;

    /// <inheritdoc />
    float ITermGuidance.UserTerm(GuidanceTarget target, ReadOnlySpan<float> user) => target.Cosine(user);

    /// <inheritdoc />
    void ITermGuidance.Guidance(ReadOnlySpan<float> terms, float userTerm, Span<float> guidance) => TensorPrimitives.Subtract(terms, userTerm, guidance);

    /// <inheritdoc />
    public override string ToString() => Name;
}
