namespace Ipg.Policies;

/// <summary>Fills one user's slate: user index, encoding, exclusion bitmap (empty = none), slate (zeroed).</summary>
internal delegate void UserSlateFiller(int user, ReadOnlySpan<float> userEmbedding, ReadOnlySpan<ulong> excluded, Span<int> slate);

/// <summary>Computes ranking keys for the catalogue (position p = item p + 1) from the logits.</summary>
internal delegate void CatalogueKeys(ReadOnlySpan<float> logits, GuidanceTarget target, Span<float> keys);

/// <summary>The per-user parallel loop shared by all policies.</summary>
internal static class PolicyLoop
{
    public static void Run(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken, UserSlateFiller fill)
    {
        ArgumentNullException.ThrowIfNull(context);
        int k = context.SlateSize;
        int users = context.UserCount;
        if (slates.Length < (long)users * k)
        {
            throw new ArgumentException($"Need {users} users × {k} slate entries, got {slates.Length}.", nameof(slates));
        }

        int d = context.Encoder.Dimension;
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, users, options, u =>
        {
            var slate = slates.Span.Slice(u * k, k);
            slate.Clear();
            var excluded = context.Exclusions is null ? default : context.Exclusions.Row(u);
            fill(u, context.UserEmbeddings.Span.Slice(u * d, d), excluded, slate);
        });
    }

    /// <summary>Runs a policy that ranks the catalogue by a key computed from the logits.</summary>
    public static void RunKeyed(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken, CatalogueKeys computeKeys)
    {
        ArgumentNullException.ThrowIfNull(context);
        var items = context.Target.Items;
        Run(context, slates, cancellationToken, (u, user, excluded, slate) =>
        {
            using var scratch = new ScoringScratch(items.ItemCount, slate.Length, items.ItemCount);
            var logits = scratch.Logits;
            Scoring.CatalogueLogits(user, items, logits);
            computeKeys(logits, context.Target, scratch.Keys);
            var order = scratch.Order;
            int written = TopKSelector.Select<float>(scratch.Keys, ReadOnlySpan<int>.Empty, excluded, order);
            for (int i = 0; i < written; i++)
            {
                slate[i] = order[i] + 1;
            }
        });
    }
}
