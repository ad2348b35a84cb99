using System.Numerics.Tensors;
using Ipg.Policies;
using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// An experimental IPG variant for <see cref="LinearityAnalysis"/>: the look-ahead is the <b>fitted affine</b>
/// move <c>ê_u' = a·ê_u + b·ê_i</c> (<see cref="GammaFit.A"/>, <see cref="GammaFit.B"/>) instead of the convex
/// <c>γ·ê_u + (1 − γ)·ê_i</c>, so g = ê_j·ê_u' − ê_j·ê_u = b·ê_j·ê_i + (a − 1)·ê_j·ê_u and r = p̂·g (raw product,
/// as <see cref="IpgOptions.Paper"/>). As cheap as the linear look-ahead: one dot product per item.
/// </summary>
/// <remarks>
/// With a = γ and b = 1 − γ it is IPG's Increase form (tested). None of <see cref="GuidanceForm"/>'s forms can
/// express it when a + b ≠ 1, hence this policy, to measure the idea before adding a re-ranker mode.
/// Ties go to the lowest item id; NaN scores are never recommended. Thread-safe.
/// </remarks>
public sealed class AffineLookAheadPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="a">Coefficient of ê_u in the move (finite).</param>
    /// <param name="b">Coefficient of ê_i in the move (finite, positive).</param>
    /// <param name="name">Display name; default "IPG-Affine".</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="a"/> is not finite, or <paramref name="b"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public AffineLookAheadPolicy(double a, double b, string name = "IPG-Affine")
    {
        if (!double.IsFinite(a))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "a must be finite.");
        }

        if (!double.IsFinite(b) || b <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(b), b, "b must be finite and positive.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        A = a;
        B = b;
        Name = name;
    }

    /// <summary>Coefficient of ê_u.</summary>
    public double A { get; }

    /// <summary>Coefficient of ê_i.</summary>
    public double B { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        int users = context.UserCount;
        int k = context.SlateSize;
        if (slates.Length < (long)users * k)
        {
            throw new ArgumentException($"Need {users} users × {k} slate entries, got {slates.Length}.", nameof(slates));
        }

        var encoder = context.Encoder;
        var items = encoder.ItemEmbeddings;
        int n = encoder.ItemCount;
        var target = context.Target;
        var mask = context.Exclusions;
        Parallel.For(
            0,
            users,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => (Logits: new float[n], Keys: new double[n]),
            (u, _, buffers) =>
            {
                var user = context.UserEmbedding(u);
                for (int i = 0; i < n; i++)
                {
                    buffers.Logits[i] = TensorPrimitives.Dot(user, items[i + 1]);
                }

                encoder.ComputeProbabilities(buffers.Logits, buffers.Logits);
                double userDotTarget = TensorPrimitives.Dot(user, target.Embedding);
                var targetDots = target.TargetDots;
                for (int i = 0; i < n; i++)
                {
                    double g = (B * targetDots[i + 1]) + ((A - 1) * userDotTarget);
                    buffers.Keys[i] = buffers.Logits[i] * g;
                }

                SlateSelection.FillByKey(buffers.Keys, mask, u, slates.Span.Slice(u * k, k));

                return buffers;
            },
            _ => { });
    }
}
