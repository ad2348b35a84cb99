namespace Ipg.Simulation.Metrics;

/// <summary>
/// A sum of doubles that does not depend on the order of its terms: every term is rounded to a multiple of 2^−64
/// (exact for any term of magnitude ≥ 2^−11, within 2^−65 otherwise) and added as a 128-bit integer. So a metric summed
/// over all users at once, or over user ranges on different machines and added at the merge, is the same bit for bit
/// (docs/distributed.md). Terms must be below 2^62 in magnitude, sums below 2^63.
/// </summary>
internal readonly record struct ExactSum(Int128 Raw)
{
    private const double Scale = 18446744073709551616.0; // 2^64
    private const double InverseScale = 1.0 / Scale;     // 2^-64, exact
    private const double MaxTerm = 4611686018427387904.0; // 2^62

    /// <summary>The sum plus <paramref name="term"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The term is not finite or too large.</exception>
    public ExactSum Add(double term)
    {
        if (!(Math.Abs(term) < MaxTerm))
        {
            throw new ArgumentOutOfRangeException(nameof(term), term, "A metric term must be finite and below 2^62 in magnitude.");
        }

        // term · 2^64 is exact (a power of two); rounding to an integer is the only rounding.
        return new ExactSum(Raw + (Int128)Math.Round(term * Scale, MidpointRounding.ToEven));
    }

    /// <summary>Two partial sums added.</summary>
    public static ExactSum operator +(ExactSum a, ExactSum b) => new(a.Raw + b.Raw);

    /// <summary>The sum as a double (the 128-bit integer rounded to nearest, scaled by 2^−64 exactly).</summary>
    public double Value => (double)Raw * InverseScale;

    /// <summary>The raw integer as decimal text (shard files).</summary>
    public override string ToString() => Raw.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads <see cref="ToString"/>'s text.</summary>
    /// <exception cref="FormatException">Not an integer.</exception>
    public static ExactSum Parse(string text) =>
        new(Int128.Parse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// The sums behind one checkpoint's metrics over a set of users: what a user range contributes, so ranges add up to
/// the whole population exactly (<see cref="ExactSum"/>).
/// </summary>
/// <param name="Rounds">The checkpoint K.</param>
/// <param name="Users">Users summed.</param>
/// <param name="HitUsers">Users shown at least one item (HR's denominator).</param>
/// <param name="HitRate">Σ clicks/shown over <paramref name="HitUsers"/>.</param>
/// <param name="Interest">Σ of the target preference's increase.</param>
/// <param name="Ranking">Σ of the target rank's rise.</param>
internal readonly record struct CheckpointSums(int Rounds, int Users, int HitUsers, ExactSum HitRate, ExactSum Interest, ExactSum Ranking)
{
    /// <summary>The means: the checkpoint's metrics.</summary>
    public CheckpointMetrics ToMetrics() =>
        new(Rounds, HitUsers == 0 ? 0 : HitRate.Value / HitUsers, Interest.Value / Users, Ranking.Value / Users);

    /// <summary>Two disjoint user sets' sums at the same checkpoint.</summary>
    /// <exception cref="ArgumentException">The checkpoints differ.</exception>
    public static CheckpointSums operator +(CheckpointSums a, CheckpointSums b) =>
        a.Rounds != b.Rounds
            ? throw new ArgumentException($"Checkpoint K = {a.Rounds} and K = {b.Rounds} cannot be added.")
            : new(a.Rounds, a.Users + b.Users, a.HitUsers + b.HitUsers, a.HitRate + b.HitRate, a.Interest + b.Interest, a.Ranking + b.Ranking);
}
