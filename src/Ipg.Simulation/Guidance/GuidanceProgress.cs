namespace Ipg.Simulation.Guidance;

/// <summary>Progress of a guidance run, reported after every round.</summary>
/// <param name="TargetIndex">Zero-based index of the current target in the experiment.</param>
/// <param name="TargetCount">Number of targets in the experiment.</param>
/// <param name="TargetItem">The current target's item id (encoder convention, 1-based).</param>
/// <param name="Round">Rounds completed for this target.</param>
/// <param name="Rounds">Rounds per target.</param>
public readonly record struct GuidanceProgress(int TargetIndex, int TargetCount, int TargetItem, int Round, int Rounds);
