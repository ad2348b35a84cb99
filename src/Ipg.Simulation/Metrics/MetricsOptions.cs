namespace Ipg.Simulation.Metrics;

/// <summary>What the guidance metrics measure (spec §3 "Metrics"; see docs/metrics.md).</summary>
public sealed record MetricsOptions
{
    private readonly int[] _checkpoints = [5, 10, 15, 20];

    /// <summary>The paper's checkpoints K = 5, 10, 15, 20, uncapped ranks, 95 % intervals.</summary>
    public static MetricsOptions Paper { get; } = new();

    /// <summary>Numbers of rounds K after which HR@K, IoI@K and IoR@K are reported; strictly increasing, positive.</summary>
    public IReadOnlyList<int> Checkpoints
    {
        get => _checkpoints;
        init => _checkpoints = value is null ? null! : [.. value]; // a private copy: later edits of the caller's list cannot bypass validation
    }

    /// <summary>
    /// Optional cap C of the ground-truth rank for IoR: a rank beyond C counts as C + 1
    /// (ITMPRec uses the top 200). <see langword="null"/> (default): the full ranking over all items.
    /// </summary>
    public int? RankCap { get; init; }

    /// <summary>Confidence level of the intervals across targets (default 0.95), in (0, 1).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>The last checkpoint: the number of rounds a run needs.</summary>
    public int MaxRounds => Checkpoints.Count == 0 ? 0 : Checkpoints[^1];

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is invalid; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        if (Checkpoints is null || Checkpoints.Count == 0)
        {
            throw new ArgumentException("Checkpoints must list at least one K.", nameof(Checkpoints));
        }

        for (var k = 0; k < Checkpoints.Count; k++)
        {
            if (Checkpoints[k] <= 0 || (k > 0 && Checkpoints[k] <= Checkpoints[k - 1]))
            {
                throw new ArgumentException($"Checkpoints must be positive and strictly increasing, got [{string.Join(", ", Checkpoints)}].", nameof(Checkpoints));
            }
        }

        if (RankCap is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(RankCap), RankCap, "RankCap must be at least 1 (or null for no cap).");
        }

        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "ConfidenceLevel must be in (0, 1).");
        }
    }
}
