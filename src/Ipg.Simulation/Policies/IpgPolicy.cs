using System.Buffers;

namespace Ipg.Policies;

/// <summary>
/// IPG as a policy: each user's slate is the top of the re-ranked catalogue for the round's target, with the
/// re-ranker's guidance model and strength. The model sees each user's history (<see cref="PolicyContext.Histories"/>)
/// and index, so look-ahead models re-encode and per-user models can look users up.
/// </summary>
public sealed class IpgPolicy : IRecommendationPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="reranker">The configured re-ranker.</param>
    /// <param name="name">Display name; default "IPG".</param>
    /// <exception cref="ArgumentNullException"><paramref name="reranker"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public IpgPolicy(IpgReranker reranker, string name = "IPG")
    {
        ArgumentNullException.ThrowIfNull(reranker);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Reranker = reranker;
        Name = name;
    }

    /// <summary>The re-ranker.</summary>
    public IpgReranker Reranker { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public PolicyGuidance Guidance => PolicyGuidance.From(Reranker.Options);

    /// <inheritdoc />
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ReferenceEquals(context.Encoder.ItemEmbeddings, Reranker.Encoder.ItemEmbeddings))
        {
            throw new ArgumentException("The context's encoder uses a different item table than this policy's re-ranker.", nameof(context));
        }

        PolicyLoop.Run(context, slates, cancellationToken, (u, user, excluded, slate) =>
        {
            var ranked = ArrayPool<RankedItem>.Shared.Rent(slate.Length);
            try
            {
                int written = Reranker.RerankUser(context.Histories[u].Span, true, u, user, context.Target, ranked.AsSpan(0, slate.Length), excluded, Reranker.Options.Strength);
                for (int i = 0; i < written; i++)
                {
                    slate[i] = ranked[i].ItemId;
                }
            }
            finally
            {
                ArrayPool<RankedItem>.Shared.Return(ranked);
            }
        });
    }
}
