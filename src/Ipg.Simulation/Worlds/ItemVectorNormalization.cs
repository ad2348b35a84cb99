namespace Ipg.Simulation.Worlds;

/// <summary>How a real-data world normalises the fitted item vectors (user vectors are always L2-normalised; docs/real-data.md).</summary>
public enum ItemVectorNormalization
{
    /// <summary>Every item vector L2-normalised, like the paper's world (the default): scores are cosines, and the
    /// popularity that the fit stores in item norms is removed.</summary>
    Unit,

    /// <summary>Every item vector divided by the largest item norm: items lie in the unit ball, scores stay in [−1, 1], and
    /// each user's ranking is exactly the fitted model's (popular items keep their larger norms).</summary>
    MaxNorm,
}
