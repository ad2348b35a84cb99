using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Guidance;

/// <summary>Parameters of the guidance phase (spec §3 "Guidance phase").</summary>
public sealed record GuidanceOptions
{
    /// <summary>The paper's protocol: 20 rounds, one item per user, metrics at K = 5, 10, 15, 20.</summary>
    public static GuidanceOptions Paper { get; } = new();

    /// <summary>Rounds per target (paper: 20); at least <see cref="MetricsOptions.MaxRounds"/>.</summary>
    public int Rounds { get; init; } = 20;

    /// <summary>What to measure.</summary>
    public MetricsOptions Metrics { get; init; } = MetricsOptions.Paper;

    /// <summary>Slate size asked from the policy; the simulator shows the first item (paper: 1).</summary>
    public int SlateSize { get; init; } = 1;

    /// <summary>Also exclude the items of each user's initial (logged) sequence. Paper: false (only items recommended during guidance are excluded).</summary>
    public bool ExcludeLoggedItems { get; init; }

    /// <summary>
    /// Whether each target draws its own click random numbers (simulator click stream = target id).
    /// Default true: targets are independent, and two policies on the same target share random
    /// numbers (paired comparison). False: every target uses the saved state's stream.
    /// </summary>
    public bool IndependentClicksPerTarget { get; init; } = true;

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is invalid; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        if (Metrics is null)
        {
            throw new ArgumentNullException(nameof(Metrics));
        }

        Metrics.Validate();
        if (Rounds < Metrics.MaxRounds)
        {
            throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, $"Rounds must reach the last checkpoint K = {Metrics.MaxRounds}.");
        }

        if (SlateSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SlateSize), SlateSize, "SlateSize must be at least 1.");
        }
    }
}
