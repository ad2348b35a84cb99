namespace Ipg.Simulation;

/// <summary>Parameters of the training-log collection (spec §3 "Log collection").</summary>
public sealed record LogCollectionOptions
{
    /// <summary>The paper's protocol: 100 rounds, a random item with probability 0.7, seed 2024.</summary>
    public static LogCollectionOptions Paper { get; } = new();

    /// <summary>Number of rounds (paper: 100).</summary>
    public int Rounds { get; init; } = 100;

    /// <summary>Probability that a user is shown a uniformly random item instead of the oracle's best unseen item (paper: 0.7).</summary>
    public double RandomItemProbability { get; init; } = 0.7;

    /// <summary>Seed of the collection policy's random stream (independent of the simulator's click stream).</summary>
    public long Seed { get; init; } = 2024;

    /// <summary>
    /// Keep every impression (shown item, clicked or not) in <see cref="LogCollectionResult.Impressions"/>, as a real
    /// service's impression log would (default false: the paper logs clicks only). Does not change the clicks, their
    /// order or the log hash; costs 16 bytes per recommendation.
    /// </summary>
    public bool KeepImpressions { get; init; }

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        if (Rounds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, $"Rounds must be non-negative, got {Rounds}.");
        }

        if (!(RandomItemProbability >= 0 && RandomItemProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RandomItemProbability), RandomItemProbability, $"RandomItemProbability must be in [0, 1], got {RandomItemProbability}.");
        }
    }
}
