using MathNet.Numerics.Statistics;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// How far two scorings of the same candidates agree: Pearson and Spearman correlation (MathNet.Numerics)
/// and the overlap of their top-K lists.
/// </summary>
/// <remarks>
/// Top-K lists break equal scores by the lower index (the re-ranker's convention for item ids), and NaN
/// scores never enter a top-K list.
/// </remarks>
public static class RankAgreement
{
    /// <summary>Pearson correlation of two equally long score vectors.</summary>
    /// <param name="a">First scores.</param>
    /// <param name="b">Second scores.</param>
    /// <returns>The correlation in [−1, 1]; NaN when either vector is constant or shorter than 2.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        CheckPair(a, b);
        return a.Count < 2 ? double.NaN : Correlation.Pearson(a, b);
    }

    /// <summary>Spearman rank correlation (ties get their average rank).</summary>
    /// <param name="a">First scores.</param>
    /// <param name="b">Second scores.</param>
    /// <returns>The correlation in [−1, 1]; NaN when either vector is constant or shorter than 2.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        CheckPair(a, b);
        return a.Count < 2 ? double.NaN : Correlation.Spearman(a, b);
    }

    /// <summary>The indices of the <paramref name="k"/> largest scores, best first (ties: lower index first).</summary>
    /// <param name="scores">The scores.</param>
    /// <param name="k">How many (≥ 1); fewer are returned when there are fewer non-NaN scores.</param>
    /// <returns>The indices.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static int[] TopIndices(IReadOnlyList<double> scores, int k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var keys = scores as double[] ?? [.. scores];
        var order = new int[Math.Min(k, keys.Length)];
        int written = TopKSelector.Select<double>(keys, ReadOnlySpan<int>.Empty, default, order);
        return written == order.Length ? order : order[..written];
    }

    /// <summary>
    /// |top-K(a) ∩ top-K(b)| / K with K = min(<paramref name="k"/>, length): 1 when both scorings pick the
    /// same K candidates (in any order), 0 when they share none.
    /// </summary>
    /// <param name="a">First scores.</param>
    /// <param name="b">Second scores.</param>
    /// <param name="k">K ≥ 1.</param>
    /// <returns>The overlap in [0, 1]; NaN for empty vectors.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static double TopKOverlap(IReadOnlyList<double> a, IReadOnlyList<double> b, int k)
    {
        CheckPair(a, b);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int size = Math.Min(k, a.Count);
        if (size == 0)
        {
            return double.NaN;
        }

        var top = new HashSet<int>(TopIndices(a, size));
        return TopIndices(b, size).Count(top.Contains) / (double)size;
    }

    /// <summary>The rank (0 = best) of candidate <paramref name="index"/> under <paramref name="scores"/>, with the tie rule of <see cref="TopIndices"/>.</summary>
    /// <param name="scores">The scores.</param>
    /// <param name="index">A candidate index.</param>
    /// <returns>How many candidates rank before it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public static int RankOf(IReadOnlyList<double> scores, int index)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if ((uint)index >= (uint)scores.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in 0..{scores.Count - 1}.");
        }

        double s = scores[index];
        int before = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            if (i != index && !double.IsNaN(scores[i]) && (scores[i] > s || double.IsNaN(s) || (scores[i] == s && i < index)))
            {
                before++;
            }
        }

        return before;
    }

    private static void CheckPair(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"The score vectors differ in length: {a.Count} and {b.Count}.", nameof(b));
        }
    }
}
