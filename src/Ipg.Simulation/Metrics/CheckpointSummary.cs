namespace Ipg.Simulation.Metrics;

/// <summary>HR@K, IoI@K and IoR@K averaged over targets, with confidence intervals across targets.</summary>
/// <param name="Rounds">K.</param>
/// <param name="HitRate">HR@K across targets.</param>
/// <param name="IncreaseOfInterest">IoI@K across targets.</param>
/// <param name="IncreaseOfRanking">IoR@K across targets.</param>
public sealed record CheckpointSummary(int Rounds, MetricEstimate HitRate, MetricEstimate IncreaseOfInterest, MetricEstimate IncreaseOfRanking);
