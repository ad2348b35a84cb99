namespace Ipg.Simulation.Worlds;

/// <summary>
/// Parameters of building a real-data world (docs/real-data.md): the split, the implicit-feedback matrix factorisation
/// that fits the ground truth, the topics, the click-model calibration and the paper's dynamics stored in the world.
/// Immutable; derive variants with <c>with</c>. <see cref="Validate"/> names the bad property in <c>ParamName</c>.
/// </summary>
public sealed record WorldBuildOptions
{
    /// <summary>The defaults: d = 20, 15 ALS sweeps, λ = 10, α = 10, seed 2024, random click rate 0.09, the paper's dynamics.</summary>
    public static WorldBuildOptions Default { get; } = new();

    /// <summary>Dimension d of the ground-truth vectors (default 20 = the paper world's 10 topics × 2 dimensions).</summary>
    public int Dimension { get; init; } = 20;

    /// <summary>Seed of the factor initialisation, the k-means and the calibration sample (default 2024).</summary>
    public long Seed { get; init; } = 2024;

    /// <summary>Users with fewer interactions than this are dropped (default 3: one held-out item and a train history of at least 2).</summary>
    public int MinInteractions { get; init; } = 3;

    /// <summary>Alternating least-squares sweeps (user side then item side; default 15).</summary>
    public int Iterations { get; init; } = 15;

    /// <summary>L2 regularisation λ of the factors (default 10, chosen on the ML-1M and LastFM development worlds, docs/real-data.md).</summary>
    public double Regularization { get; init; } = 10.0;

    /// <summary>Confidence weight α: an observed (user, item) pair seen c times has confidence 1 + α·c (Hu, Koren, Volinsky 2008; default 10).</summary>
    public double Alpha { get; init; } = 10.0;

    /// <summary>How item vectors are normalised (default <see cref="ItemVectorNormalization.Unit"/>, like the paper's world).</summary>
    public ItemVectorNormalization ItemNormalization { get; init; } = ItemVectorNormalization.Unit;

    /// <summary>Number of k-means topics when no metadata is given (default 10, as the paper world).</summary>
    public int Topics { get; init; } = 10;

    /// <summary>With metadata: keep at most this many topics (the largest, the rest merged into "other"); null keeps every label.</summary>
    public int? MaxMetadataTopics { get; init; }

    /// <summary>Slope of the click sigmoid (paper: 10); the offset is calibrated.</summary>
    public double Slope { get; init; } = 10.0;

    /// <summary>Calibration target: the mean click probability of a uniformly random (user, item) pair (default 0.09, the paper world's random click rate).</summary>
    public double TargetRandomClickRate { get; init; } = 0.09;

    /// <summary>Size of the calibration sample of random (user, item) pairs (default 1,000,000).</summary>
    public int CalibrationSamples { get; init; } = 1_000_000;

    /// <summary>Drift inertia ω (paper: 0.8). In [0, 1].</summary>
    public double Omega { get; init; } = 0.8;

    /// <summary>Repeat penalty added to bias[u,i] after each click (paper: 0.1). Non-negative.</summary>
    public double RepeatPenalty { get; init; } = 0.1;

    /// <summary>Number of remembered clicks for boredom (paper: 10; at most <see cref="SimulatorOptions.MaxBoredomWindow"/>).</summary>
    public int BoredomWindow { get; init; } = 10;

    /// <summary>Same-topic clicks in the window that make the topic bored (paper: 4).</summary>
    public int BoredomThreshold { get; init; } = 4;

    /// <summary>Rounds a topic stays bored (paper: 5).</summary>
    public int BoredomDuration { get; init; } = 5;

    /// <summary>Factor applied to the bored topic's part of ê_u (paper: 0.8). In [0, 1].</summary>
    public double BoredomFactor { get; init; } = 0.8;

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        Range(Dimension, 1, 1024, nameof(Dimension));
        Range(MinInteractions, 2, int.MaxValue, nameof(MinInteractions));
        Range(Iterations, 1, 1000, nameof(Iterations));
        Range(Topics, 1, 100_000, nameof(Topics));
        if (MaxMetadataTopics is { } max)
        {
            Range(max, 1, 100_000, nameof(MaxMetadataTopics));
        }

        Range(CalibrationSamples, 1, 100_000_000, nameof(CalibrationSamples));
        Positive(Regularization, nameof(Regularization));
        if (!double.IsFinite(Alpha) || Alpha < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, $"Alpha must be finite and non-negative, got {Alpha}.");
        }

        if (!Enum.IsDefined(ItemNormalization))
        {
            throw new ArgumentOutOfRangeException(nameof(ItemNormalization), ItemNormalization, $"ItemNormalization must be a defined ItemVectorNormalization, got {(int)ItemNormalization}.");
        }

        Positive(Slope, nameof(Slope));
        if (!(TargetRandomClickRate > 0 && TargetRandomClickRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TargetRandomClickRate), TargetRandomClickRate, $"TargetRandomClickRate must be in (0, 1), got {TargetRandomClickRate}.");
        }

        // The dynamics must also be valid simulator options: a later TopicSimulator built from the world applies them.
        try
        {
            (SimulatorOptions.Paper with
            {
                Slope = Slope,
                Omega = Omega,
                RepeatPenalty = RepeatPenalty,
                BoredomWindow = BoredomWindow,
                BoredomThreshold = BoredomThreshold,
                BoredomDuration = BoredomDuration,
                BoredomFactor = BoredomFactor,
            }).Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentOutOfRangeException(e.ParamName, e.Message);
        }
    }

    private static void Range(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{min}, {max}], got {value}.");
        }
    }

    private static void Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and positive, got {value}.");
        }
    }
}
