namespace Ipg;

/// <summary>
/// What the re-ranker does with candidates whose guiding score g is not positive (spec §2). With
/// <c>g &lt; 0</c> the product <c>r = p̂·g</c> is negative, and among negative candidates the raw
/// product prefers a <i>low</i> probability of acceptance.
/// </summary>
public enum NegativeGuidancePolicy
{
    /// <summary>
    /// Rank every candidate by <c>r = p̂·g</c> exactly as published (the reference code's raw argmax).
    /// Read as an expected change of preference, this is consistent — a candidate the user is unlikely
    /// to accept does little harm — but when no candidate can guide, it recommends items the user
    /// probably will not accept, which costs accuracy for no guidance.
    /// </summary>
    Raw = 0,

    /// <summary>
    /// Candidates with <c>g &gt; 0</c> come first, ranked by <c>r = p̂·g</c>; candidates with
    /// <c>g ≤ 0</c> follow, ranked by p̂ alone. When nothing can move the user towards the target,
    /// the re-ranker falls back to the base recommender's accuracy instead of recommending items the
    /// user is unlikely to want. Identical to <see cref="Raw"/> whenever the first
    /// <c>K</c> raw results all have positive g. The default for services.
    /// </summary>
    AccuracyFallback = 1,
}
