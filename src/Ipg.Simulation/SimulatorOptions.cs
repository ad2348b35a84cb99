namespace Ipg.Simulation;

/// <summary>
/// Parameters of the interactive topic simulator (spec §3). Immutable; derive variants with
/// <c>with</c> expressions, e.g. <c>SimulatorOptions.Paper with { Users = 100, Items = 200 }</c>.
/// </summary>
/// <remarks>
/// The defaults of every property equal the paper's published values (<see cref="Paper"/>).
/// <see cref="Validate"/> is called by <see cref="TopicSimulator"/>; every invalid value raises an
/// <see cref="ArgumentException"/> whose <see cref="ArgumentException.ParamName"/> is the property name.
/// </remarks>
public sealed record SimulatorOptions
{
    /// <summary>The paper's parameters (spec §3) with seed 2024 and offset 0.7 (see the spec's quirks).</summary>
    public static SimulatorOptions Paper { get; } = new();

    /// <summary>Number of topics (paper: 10).</summary>
    public int Topics { get; init; } = 10;

    /// <summary>Dimensions per topic (paper: 2). Embedding dimension = <see cref="Topics"/> × this.</summary>
    public int DimensionsPerTopic { get; init; } = 2;

    /// <summary>Number of simulated users (paper: 6,034).</summary>
    public int Users { get; init; } = 6034;

    /// <summary>Number of items (paper: 3,533).</summary>
    public int Items { get; init; } = 3533;

    /// <summary>Scale of the per-topic Gaussian draws: clamp(scale·N(0,1), −clamp, clamp) (paper: 0.4).</summary>
    public double TopicScale { get; init; } = 0.4;

    /// <summary>Symmetric clamp applied to the scaled Gaussian draws (paper: 1).</summary>
    public double TopicClamp { get; init; } = 1.0;

    /// <summary>Slope of the click sigmoid (paper: 10).</summary>
    public double Slope { get; init; } = 10.0;

    /// <summary>Offset of the click sigmoid (0.7: what the published data used, see spec §3 quirks).</summary>
    public double Offset { get; init; } = 0.7;

    /// <summary>Drift inertia ω: after a click ê_u ← ω·ê_u + (1 − ω)·ê_i (paper: 0.8). In [0, 1].</summary>
    public double Omega { get; init; } = 0.8;

    /// <summary>Repeat penalty added to bias[u,i] after each click on i (paper: 0.1). Non-negative.</summary>
    public double RepeatPenalty { get; init; } = 0.1;

    /// <summary>The longest boredom window accepted (1,024 clicks), so that the per-user ring buffer stays at most 4 KB.</summary>
    public const int MaxBoredomWindow = 1024;

    /// <summary>Number of most recent clicks whose topics are remembered for boredom (paper: 10; at most <see cref="MaxBoredomWindow"/>).</summary>
    public int BoredomWindow { get; init; } = 10;

    /// <summary>A topic becomes bored when at least this many of the remembered clicks share it (paper: 4).</summary>
    public int BoredomThreshold { get; init; } = 4;

    /// <summary>Number of rounds a topic stays bored before it resets (paper: 5).</summary>
    public int BoredomDuration { get; init; } = 5;

    /// <summary>Factor applied to a bored topic's dimensions when the user clicks an item of it (paper: 0.8). In [0, 1].</summary>
    public double BoredomFactor { get; init; } = 0.8;

    /// <summary>Seed from which every random stream of the simulator is derived (default 2024).</summary>
    public long Seed { get; init; } = 2024;

    /// <summary>Embedding dimension: <see cref="Topics"/> × <see cref="DimensionsPerTopic"/>.</summary>
    public int Dimension => Topics * DimensionsPerTopic;

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        Positive(Topics, nameof(Topics));
        Positive(DimensionsPerTopic, nameof(DimensionsPerTopic));
        if ((long)Topics * DimensionsPerTopic > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(DimensionsPerTopic), DimensionsPerTopic, $"Topics × DimensionsPerTopic must be at most 4096, got {Topics} × {DimensionsPerTopic}.");
        }

        Positive(Users, nameof(Users));
        Positive(Items, nameof(Items));
        if ((long)Users * Dimension > int.MaxValue / 2 || (long)Items * Dimension > int.MaxValue / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Users), Users, "Users × Dimension and Items × Dimension must fit in an array.");
        }

        FinitePositive(TopicScale, nameof(TopicScale));
        FinitePositive(TopicClamp, nameof(TopicClamp));
        FinitePositive(Slope, nameof(Slope));
        Finite(Offset, nameof(Offset));
        UnitInterval(Omega, nameof(Omega));
        if (!double.IsFinite(RepeatPenalty) || RepeatPenalty < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RepeatPenalty), RepeatPenalty, "RepeatPenalty must be finite and non-negative.");
        }

        Positive(BoredomWindow, nameof(BoredomWindow));
        if (BoredomWindow > MaxBoredomWindow || (long)Users * BoredomWindow > int.MaxValue / 2)
        {
            // The simulator keeps a ring buffer of Users × BoredomWindow topics; bound it so that options (or a
            // saved state) cannot make it overflow an int or allocate gigabytes.
            throw new ArgumentOutOfRangeException(nameof(BoredomWindow), BoredomWindow, $"BoredomWindow must be at most {MaxBoredomWindow} and Users × BoredomWindow must fit in an array, got {Users} × {BoredomWindow}.");
        }

        Positive(BoredomThreshold, nameof(BoredomThreshold));
        Positive(BoredomDuration, nameof(BoredomDuration));
        UnitInterval(BoredomFactor, nameof(BoredomFactor));
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive, got {value}.");
        }
    }

    private static void Finite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite, got {value}.");
        }
    }

    private static void FinitePositive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and positive, got {value}.");
        }
    }

    private static void UnitInterval(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1], got {value}.");
        }
    }
}
