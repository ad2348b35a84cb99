namespace Ipg.Simulation.Guidance;

/// <summary>Fills a slate by descending key for the simulator-side policies (oracle, look-ahead variants).</summary>
internal static class SlateSelection
{
    /// <summary>
    /// Writes the ids (position i = item id i + 1) of the best <c>slate.Length</c> keys into <paramref name="slate"/>,
    /// skipping NaN keys, items excluded for <paramref name="user"/> and items already in the slate; ties go to the
    /// lowest id. Entries left unfilled stay 0. O(k·N), fine for the slate of one the protocol uses.
    /// </summary>
    public static void FillByKey(ReadOnlySpan<double> keys, ExclusionMask? mask, int user, Span<int> slate)
    {
        slate.Clear();
        for (int s = 0; s < slate.Length; s++)
        {
            int best = -1;
            for (int i = 0; i < keys.Length; i++)
            {
                int id = i + 1;
                if ((best < 0 || keys[i] > keys[best])
                    && !double.IsNaN(keys[i])
                    && (mask is null || !mask.Contains(user, id))
                    && !slate[..s].Contains(id))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return;
            }

            slate[s] = best + 1;
        }
    }
}
