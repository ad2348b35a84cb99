namespace Ipg.Policies;

/// <summary>
/// What a policy sees in one round: the encoder, the prepared target, each user's history and current
/// encoding, the items excluded per user, the slate size and the round number. Immutable.
/// </summary>
public sealed class PolicyContext
{
    /// <summary>Creates a context and checks that its parts agree.</summary>
    /// <param name="encoder">The sequential encoder (item table, probabilities, re-encoding).</param>
    /// <param name="target">The target prepared over <c>encoder.ItemEmbeddings</c>.</param>
    /// <param name="histories">One history per user, oldest first.</param>
    /// <param name="userEmbeddings"><c>ENC(history)</c> per user: users × d values, row-major.</param>
    /// <param name="exclusions">Items excluded per user (user index = history index), or null.</param>
    /// <param name="slateSize">Items per user (≥ 1).</param>
    /// <param name="round">Round number (≥ 0); policies with randomness use it to draw afresh each round.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">Lengths disagree, a user vector has a NaN or infinite component, the target comes from another table, or the mask has another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slateSize"/> is below 1 or <paramref name="round"/> is negative.</exception>
    public PolicyContext(
        ISequentialEncoder encoder,
        GuidanceTarget target,
        IReadOnlyList<ReadOnlyMemory<int>> histories,
        ReadOnlyMemory<float> userEmbeddings,
        ExclusionMask? exclusions = null,
        int slateSize = 1,
        int round = 0)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentOutOfRangeException.ThrowIfLessThan(slateSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        target.EnsureSameTable(encoder.ItemEmbeddings, nameof(target));
        if (userEmbeddings.Length != (long)histories.Count * encoder.Dimension)
        {
            throw new ArgumentException(
                $"Expected {histories.Count} users × d = {encoder.Dimension} values, got {userEmbeddings.Length}.", nameof(userEmbeddings));
        }

        IpgReranker.ValidateFiniteRows(userEmbeddings.Span, encoder.Dimension, nameof(userEmbeddings));
        IpgReranker.ValidateMask(exclusions, histories.Count, encoder.ItemCount, nameof(exclusions));
        Encoder = encoder;
        Target = target;
        Histories = histories;
        UserEmbeddings = userEmbeddings;
        Exclusions = exclusions;
        SlateSize = slateSize;
        Round = round;
    }

    /// <summary>The sequential encoder.</summary>
    public ISequentialEncoder Encoder { get; }

    /// <summary>The prepared target.</summary>
    public GuidanceTarget Target { get; }

    /// <summary>One history per user, oldest first.</summary>
    public IReadOnlyList<ReadOnlyMemory<int>> Histories { get; }

    /// <summary>Users × d encodings, row-major.</summary>
    public ReadOnlyMemory<float> UserEmbeddings { get; }

    /// <summary>Items excluded per user, or null.</summary>
    public ExclusionMask? Exclusions { get; }

    /// <summary>Items per user.</summary>
    public int SlateSize { get; }

    /// <summary>Round number, from 0.</summary>
    public int Round { get; }

    /// <summary>Number of users.</summary>
    public int UserCount => Histories.Count;

    /// <summary>
    /// The population index of this context's user 0 (default 0): nonzero when a run is split over user ranges
    /// (<c>ipg reproduce --shard</c>, docs/distributed.md). A policy that keys anything on the user (a random draw,
    /// a model's user id) keys it on <c>FirstUser + u</c>, so a range sees exactly what those users see in the whole run.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public int FirstUser
    {
        get => _firstUser;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(FirstUser));
            _firstUser = value;
        }
    }

    private readonly int _firstUser;

    /// <summary>The encoding of one user.</summary>
    /// <param name="user">User index.</param>
    /// <returns>A d-long view.</returns>
    public ReadOnlySpan<float> UserEmbedding(int user)
    {
        if ((uint)user >= (uint)UserCount)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User indices are 0..{UserCount - 1}.");
        }

        return UserEmbeddings.Span.Slice(user * Encoder.Dimension, Encoder.Dimension);
    }
}
