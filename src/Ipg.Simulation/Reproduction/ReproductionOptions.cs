using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Reproduction;

/// <summary>
/// The paper's experiment (spec §3): collect the log on the seeded simulator, then guide users towards
/// random targets with every policy. <see cref="Paper"/> is the published scale; <see cref="Default"/>
/// a reduced scale that finishes in a couple of minutes on two cores.
/// </summary>
public sealed record ReproductionOptions
{
    /// <summary>The published scale: 6,034 users, 3,533 items, 50 targets, 20 rounds, seed 2024.</summary>
    public static ReproductionOptions Paper { get; } = new();

    /// <summary>The quick default: the same world and log, guidance on the first 500 users and 5 targets.</summary>
    public static ReproductionOptions Default { get; } = new() { Users = 500, Targets = 5 };

    /// <summary>The simulator (paper preset, seed 2024). Log collection uses the same seed.</summary>
    public SimulatorOptions Simulator { get; init; } = SimulatorOptions.Paper;

    /// <summary>Log collection (100 rounds, 70 % random).</summary>
    public LogCollectionOptions Collection { get; init; } = LogCollectionOptions.Paper;

    /// <summary>How many users (the first ones of the world) take part in guidance; null = all.</summary>
    public int? Users { get; init; }

    /// <summary>Number of random target items (paper: 50).</summary>
    public int Targets { get; init; } = 50;

    /// <summary>Seed of the target draw and of the random policy.</summary>
    public long TargetSeed { get; init; } = 2024;

    /// <summary>Guidance rounds per target (paper: 20). Metrics are recorded after every round.</summary>
    public int Rounds { get; init; } = 20;

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Simulator, nameof(Simulator));
        ArgumentNullException.ThrowIfNull(Collection, nameof(Collection));
        Simulator.Validate();
        Collection.Validate();
        if (Users is { } users && (users < 1 || users > Simulator.Users))
        {
            throw new ArgumentOutOfRangeException(nameof(Users), users, $"Users must be in 1..{Simulator.Users} (the world's users).");
        }

        if (Targets < 1 || Targets > Simulator.Items)
        {
            throw new ArgumentOutOfRangeException(nameof(Targets), Targets, $"Targets must be in 1..{Simulator.Items}.");
        }

        if (Rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "Rounds must be at least 1.");
        }
    }

    /// <summary>The guidance options implied: <see cref="Rounds"/> rounds, metrics after every round.</summary>
    /// <returns>The options.</returns>
    public GuidanceOptions ToGuidanceOptions() => GuidanceOptions.Paper with
    {
        Rounds = Rounds,
        Metrics = GuidanceOptions.Paper.Metrics with { Checkpoints = Enumerable.Range(1, Rounds).ToArray() },
    };
}
