namespace Ipg.Simulation.Metrics;

/// <summary>The metrics of one guidance run (one target) at every checkpoint reached.</summary>
/// <param name="TargetItem">The target (whatever id convention the caller uses).</param>
/// <param name="Checkpoints">One entry per checkpoint reached, in increasing K.</param>
public sealed record TargetMetrics(int TargetItem, IReadOnlyList<CheckpointMetrics> Checkpoints)
{
    /// <summary>The checkpoint with K = <paramref name="rounds"/>.</summary>
    /// <param name="rounds">K.</param>
    /// <returns>The metrics at K.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No such checkpoint.</exception>
    public CheckpointMetrics At(int rounds) =>
        Checkpoints.FirstOrDefault(c => c.Rounds == rounds)
        ?? throw new ArgumentOutOfRangeException(nameof(rounds), rounds, $"No checkpoint K = {rounds}.");
}
