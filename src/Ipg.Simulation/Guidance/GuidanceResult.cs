using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Guidance;

/// <summary>The outcome of one policy over all targets.</summary>
/// <param name="PolicyName">The policy's name.</param>
/// <param name="Targets">Per-target metrics, in the order of the targets.</param>
/// <param name="Summary">Metrics averaged over targets with confidence intervals, per checkpoint.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record GuidanceResult(string PolicyName, IReadOnlyList<TargetMetrics> Targets, IReadOnlyList<CheckpointSummary> Summary, TimeSpan Elapsed);
