namespace Ipg.Simulation.Worlds;

/// <summary>What the split of a real-data world removed from the log (docs/real-data.md "Split").</summary>
/// <param name="ShortHistories">Users with fewer than <see cref="WorldBuildOptions.MinInteractions"/> interactions.</param>
/// <param name="HeldOutOutsideCatalogue">Users whose held-out item occurs in no train history (it has no fitted vector).</param>
/// <param name="ItemsWithoutTrainInteractions">Items of the log that occur in no train history, removed from the catalogue.</param>
public readonly record struct WorldDropCounts(int ShortHistories, int HeldOutOutsideCatalogue, int ItemsWithoutTrainInteractions);
