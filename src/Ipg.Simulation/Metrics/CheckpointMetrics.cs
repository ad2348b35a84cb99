namespace Ipg.Simulation.Metrics;

/// <summary>The metrics of one target after <paramref name="Rounds"/> rounds, averaged over users (spec §3).</summary>
/// <param name="Rounds">K.</param>
/// <param name="HitRate">HR@K: mean over users of the fraction of their recommendations in rounds 1..K that were clicked.</param>
/// <param name="IncreaseOfInterest">IoI@K: mean over users of pref(u, j) after K rounds − before round 1.</param>
/// <param name="IncreaseOfRanking">IoR@K: mean over users of rank(u, j) before round 1 − after K rounds (positive = the target rose).</param>
public sealed record CheckpointMetrics(int Rounds, double HitRate, double IncreaseOfInterest, double IncreaseOfRanking);
