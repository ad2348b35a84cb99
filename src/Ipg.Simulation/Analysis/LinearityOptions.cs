namespace Ipg.Simulation.Analysis;

/// <summary>
/// Options of <see cref="LinearityAnalysis"/>: how many histories to sample, how many targets each, which
/// candidates to compare and how to bucket history lengths.
/// </summary>
public sealed record LinearityOptions
{
    /// <summary>The defaults: 300 users, 5 targets each, the top-100 candidates by p̂, seed 2024.</summary>
    public static LinearityOptions Default { get; } = new();

    /// <summary>Users sampled (without replacement) from those with at least two logged items. Default 300.</summary>
    public int Users { get; init; } = 300;

    /// <summary>Random targets per sampled history (the exact next states are shared by all of them). Default 5.</summary>
    public int TargetsPerUser { get; init; } = 5;

    /// <summary>
    /// Candidates per history: the top-C items by p̂ among the items not in the history; 0 = every such item
    /// (costs one encoding per item per history). Default 100.
    /// </summary>
    public int Candidates { get; init; } = 100;

    /// <summary>K of the top-K overlap. Default 10.</summary>
    public int TopK { get; init; } = 10;

    /// <summary>Shortlist sizes M for "the exact best is inside the linear top-M" (the exact mode's M). Default 10 and 20.</summary>
    public IReadOnlyList<int> ShortlistSizes { get; init; } = [10, 20];

    /// <summary>
    /// Lower edges of the history-length buckets (ascending, first = 1); the last bucket is open-ended.
    /// Default 1, 5, 10, 20, 50, 100, 200.
    /// </summary>
    public IReadOnlyList<int> BucketEdges { get; init; } = [1, 5, 10, 20, 50, 100, 200];

    /// <summary>Seed of the user, cut-point and target draws. Default 2024.</summary>
    public int Seed { get; init; } = 2024;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Users, 1, nameof(Users));
        ArgumentOutOfRangeException.ThrowIfLessThan(TargetsPerUser, 1, nameof(TargetsPerUser));
        ArgumentOutOfRangeException.ThrowIfNegative(Candidates, nameof(Candidates));
        ArgumentOutOfRangeException.ThrowIfLessThan(TopK, 1, nameof(TopK));
        ArgumentNullException.ThrowIfNull(ShortlistSizes, nameof(ShortlistSizes));
        ArgumentNullException.ThrowIfNull(BucketEdges, nameof(BucketEdges));
        if (ShortlistSizes.Any(m => m < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ShortlistSizes), string.Join(",", ShortlistSizes), "Every shortlist size must be at least 1.");
        }

        if (BucketEdges.Count == 0 || BucketEdges[0] != 1 || BucketEdges.Zip(BucketEdges.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"BucketEdges must start at 1 and increase strictly, got [{string.Join(",", BucketEdges)}].", nameof(BucketEdges));
        }
    }
}
