using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Reproduction;

/// <summary>Progress of a reproduction: which policy (of how many) and where inside it.</summary>
/// <param name="PolicyIndex">Zero-based index of the running policy.</param>
/// <param name="PolicyCount">Number of policies.</param>
/// <param name="PolicyName">The running policy's name.</param>
/// <param name="Guidance">Progress inside the policy's run.</param>
public readonly record struct ReproductionProgress(int PolicyIndex, int PolicyCount, string PolicyName, GuidanceProgress Guidance);
