namespace Ipg.Policies;

/// <summary>
/// Uniformly random non-excluded items, without repetition inside a slate: the lower bound. Draws are a
/// pure function of (seed, target, round, the user's population index <see cref="PolicyContext.FirstUser"/> + u), so results
/// depend neither on thread scheduling nor on how a run is split over user ranges.
/// </summary>
public sealed class RandomPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="seed">Seed of the draws.</param>
    public RandomPolicy(int seed = 0) => Seed = seed;

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <inheritdoc />
    public string Name => "Random";

    /// <inheritdoc />
    public bool UsesUserEmbeddings => false;

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        int n = context.Encoder.ItemCount;
        ulong stream = Mix(((ulong)(uint)Seed << 32) ^ ((ulong)(uint)context.Target.ItemId << 12) ^ (uint)context.Round);
        int firstUser = context.FirstUser;
        PolicyLoop.Run(context, slates, cancellationToken, (u, _, excluded, slate) =>
        {
            // Keyed on the population index, so a user range draws what its users draw in the whole run.
            ulong state = Mix(stream ^ ((ulong)(uint)(firstUser + u) * 0x9E3779B97F4A7C15UL));
            int filled = 0;

            // Rejection sampling is fast while few items are excluded; fall back to an exact draw
            // from the remaining items when it keeps missing.
            for (int attempt = 0; attempt < 64 * slate.Length && filled < slate.Length; attempt++)
            {
                int id = 1 + (int)(Next(ref state) % (ulong)n);
                if (IsSet(excluded, id) || slate[..filled].Contains(id))
                {
                    continue;
                }

                slate[filled++] = id;
            }

            if (filled < slate.Length)
            {
                FillExactly(n, excluded, slate, filled, ref state);
            }
        });
    }

    private static void FillExactly(int n, ReadOnlySpan<ulong> excluded, Span<int> slate, int filled, ref ulong state)
    {
        var remaining = new List<int>();
        for (int id = 1; id <= n; id++)
        {
            if (!IsSet(excluded, id) && !slate[..filled].Contains(id))
            {
                remaining.Add(id);
            }
        }

        while (filled < slate.Length && remaining.Count > 0)
        {
            int pick = (int)(Next(ref state) % (ulong)remaining.Count);
            slate[filled++] = remaining[pick];
            remaining[pick] = remaining[^1];
            remaining.RemoveAt(remaining.Count - 1);
        }
    }

    private static bool IsSet(ReadOnlySpan<ulong> bits, int id) => !bits.IsEmpty && (bits[id >> 6] & (1UL << (id & 63))) != 0;

    /// <summary>SplitMix64 step.</summary>
    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
