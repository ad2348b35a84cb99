namespace Ipg.Policies;

/// <summary>
/// The Rec2Inf-style baseline (spec §4): take the base recommender's top-M items by p̂ (M = 50 by
/// default), then rank those by closeness to the target, <c>ê_i·ê_j</c>.
/// </summary>
public sealed class Rec2InfPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="candidateCount">M, the size of the accuracy shortlist (≥ 1); default 50.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="candidateCount"/> is below 1.</exception>
    public Rec2InfPolicy(int candidateCount = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateCount, 1);
        CandidateCount = candidateCount;
    }

    /// <summary>M, the shortlist size.</summary>
    public int CandidateCount { get; }

    /// <inheritdoc />
    public string Name => "Rec2Inf";

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var items = context.Target.Items;
        var targetDots = context.Target;
        int m = CandidateCount;
        PolicyLoop.Run(context, slates, cancellationToken, (u, user, excluded, slate) =>
        {
            using var scratch = new ScoringScratch(items.ItemCount, Math.Max(m, slate.Length), items.ItemCount);
            var logits = scratch.Logits;
            Scoring.CatalogueLogits(user, items, logits);

            // Stage 1: the top-M by logit.
            var shortlist = scratch.Order[..Math.Min(m, scratch.Order.Length)];
            int found = TopKSelector.Select<float>(logits, ReadOnlySpan<int>.Empty, excluded, shortlist);
            var ids = scratch.Ids[..found];
            for (int i = 0; i < found; i++)
            {
                ids[i] = shortlist[i] + 1;
            }

            // Stage 2: those M by closeness to the target.
            var closeness = scratch.Keys[..found];
            Scoring.Gather(targetDots.TargetDots, ids, catalogue: false, closeness);
            var order = scratch.Order[..Math.Min(slate.Length, found)];
            int written = TopKSelector.Select<float>(closeness, ids, default, order);
            for (int i = 0; i < written; i++)
            {
                slate[i] = ids[order[i]];
            }
        });
    }
}
