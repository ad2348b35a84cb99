using System.Numerics.Tensors;

namespace Ipg.Policies;

/// <summary>
/// The target-similarity heuristic (spec §4): argmax of <c>ê_u·ê_i + α·(ê_j·ê_i)</c>, α = 10 by default.
/// </summary>
public sealed class TargetSimilarityPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="alpha">Weight of the target similarity (finite, ≥ 0); the paper's baseline uses 10.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is negative or not finite.</exception>
    public TargetSimilarityPolicy(float alpha = 10f)
    {
        if (!float.IsFinite(alpha) || alpha < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be finite and ≥ 0.");
        }

        Alpha = alpha;
    }

    /// <summary>α, the weight of <c>ê_j·ê_i</c>.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public string Name => "TargetSimilarity";

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        float alpha = Alpha;
        PolicyLoop.RunKeyed(context, slates, cancellationToken, (logits, target, keys) =>
        {
            // keys = logits + α · (ê_j·ê_i), the target dots precomputed once per target.
            TensorPrimitives.Multiply(target.TargetDots[1..], alpha, keys);
            TensorPrimitives.Add(keys, logits, keys);
        });
    }
}
