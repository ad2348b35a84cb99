using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Guidance;

/// <summary>The outcome of one policy over all targets.</summary>
/// <param name="PolicyName">The policy's name.</param>
/// <param name="Targets">Per-target metrics, in the order of the targets.</param>
/// <param name="Summary">Metrics averaged over targets with confidence intervals, per checkpoint.</param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="Guidance">The policy's guidance model, negative-guidance policy and strength (<see cref="Policies.IRecommendationPolicy.Guidance"/>); null for baselines.</param>
public sealed record GuidanceResult(string PolicyName, IReadOnlyList<TargetMetrics> Targets, IReadOnlyList<CheckpointSummary> Summary, TimeSpan Elapsed, Policies.PolicyGuidance? Guidance = null);
