namespace Ipg.Policies;

/// <summary>
/// The base recommender alone (the paper's "SASRec" baseline, spec §4): argmax of p̂ over the
/// non-excluded items, i.e. of the logit <c>ê_u·ê_i</c> (ranked by the logit, which keeps full
/// resolution where the sigmoid saturates).
/// </summary>
public sealed class GreedyPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="name">Display name; default "SASRec".</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public GreedyPolicy(string name = "SASRec")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        PolicyLoop.RunKeyed(context, slates, cancellationToken, static (logits, _, keys) => logits.CopyTo(keys));
    }
}
