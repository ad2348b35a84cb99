namespace Ipg.Policies;

/// <summary>
/// A recommendation policy: given users' histories, their encodings and a target, fill one ranked slate
/// per user. IPG and every baseline implement it, so a simulator or a service can compare them uniformly.
/// </summary>
/// <remarks>
/// A policy sees the histories and the encoder, not only precomputed vectors, so policies that re-encode
/// candidate futures (exact look-ahead, multi-step planning) fit the same shape. The paper's protocol
/// uses the first item of each slate. Implementations must be safe for concurrent calls.
/// </remarks>
public interface IRecommendationPolicy
{
    /// <summary>Display name (used in results tables, e.g. "IPG", "SASRec").</summary>
    string Name { get; }

    /// <summary>
    /// Whether the policy reads <see cref="PolicyContext.UserEmbeddings"/>. A loop may skip re-encoding users
    /// for policies that do not (random, a simulator oracle), in which case the encodings it passes may be
    /// stale. Default <see langword="true"/>.
    /// </summary>
    bool UsesUserEmbeddings => true;

    /// <summary>
    /// For a policy that re-ranks with a guidance model (IPG and its variants): which model, negative-guidance
    /// policy and strength, recorded beside its results; null for the baselines. Default null.
    /// </summary>
    PolicyGuidance? Guidance => null;

    /// <summary>Fills <paramref name="slates"/> with one ranked slate per user.</summary>
    /// <param name="context">Users, encodings, target, exclusions and slate size.</param>
    /// <param name="slates">
    /// <c>context.UserCount × context.SlateSize</c> item ids, row-major, best first. Entries a policy cannot
    /// fill (every item excluded) are 0, the padding id.
    /// </param>
    /// <param name="cancellationToken">Cancels between users.</param>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="slates"/> is too short.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default);
}
