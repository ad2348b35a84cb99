namespace Ipg.Simulation;

/// <summary>Outcome of <see cref="LogCollector.Collect"/>.</summary>
/// <param name="Interactions">The clicks, zero-based, in time order (round by round, users ascending).</param>
/// <param name="Rounds">Rounds simulated.</param>
/// <param name="Recommendations">Items shown in total (rounds × users).</param>
/// <param name="Elapsed">Wall-clock time of the collection.</param>
public sealed record LogCollectionResult(IReadOnlyList<Interaction> Interactions, int Rounds, long Recommendations, TimeSpan Elapsed)
{
    /// <summary>
    /// Every item shown, clicked or not, in time order (round by round, users ascending); null unless the collection
    /// ran with <see cref="LogCollectionOptions.KeepImpressions"/>. A user's clicked impressions, in order, are that
    /// user's clicks in <see cref="Interactions"/>.
    /// </summary>
    public IReadOnlyList<Impression>? Impressions { get; init; }

    /// <summary>Number of clicks.</summary>
    public int Clicks => Interactions.Count;

    /// <summary>Clicks per recommendation.</summary>
    public double ClickRate => Recommendations == 0 ? 0 : (double)Interactions.Count / Recommendations;
}
