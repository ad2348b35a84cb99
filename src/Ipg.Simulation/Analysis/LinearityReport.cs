namespace Ipg.Simulation.Analysis;

/// <summary>The outcome of <see cref="LinearityAnalysis.Analyze"/>.</summary>
/// <param name="Options">The options used.</param>
/// <param name="ItemCount">The encoder's N.</param>
/// <param name="Dimension">The encoder's d.</param>
/// <param name="MaxHistoryLength">The encoder's maximum history length.</param>
/// <param name="Buckets">One entry per non-empty history-length bucket, shortest first.</param>
/// <param name="Overall">All histories together.</param>
/// <param name="Encodings">Sequences encoded (the cost of the analysis).</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record LinearityReport(
    LinearityOptions Options,
    int ItemCount,
    int Dimension,
    int MaxHistoryLength,
    IReadOnlyList<LinearityBucket> Buckets,
    LinearityBucket Overall,
    long Encodings,
    TimeSpan Elapsed);
