using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Reproduction;

/// <summary>The outcome of <see cref="PaperReproduction.Run"/>.</summary>
/// <param name="Options">What was run.</param>
/// <param name="World">The collected world (log hash, click counts).</param>
/// <param name="TargetItemIds">The sampled targets (encoder ids).</param>
/// <param name="Policies">One result per policy, in run order.</param>
/// <param name="Elapsed">Wall time of the guidance phase.</param>
public sealed record ReproductionResult(ReproductionOptions Options, CollectedWorld World, IReadOnlyList<int> TargetItemIds, IReadOnlyList<GuidanceResult> Policies, TimeSpan Elapsed);
