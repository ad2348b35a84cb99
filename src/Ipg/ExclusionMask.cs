namespace Ipg;

/// <summary>
/// Per-user sets of excluded items (already seen, already recommended), stored as one bitmap per user
/// (<c>N + 1</c> bits). Reads are thread-safe; writes to the same user must not race with reads of it.
/// </summary>
public sealed class ExclusionMask
{
    private readonly ulong[] _bits;

    /// <summary>Creates an empty mask for <paramref name="userCount"/> users over ids <c>1..itemCount</c>.</summary>
    /// <param name="userCount">Number of users (≥ 0).</param>
    /// <param name="itemCount">Number of real items N (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range, or the mask would exceed 2³¹ words.</exception>
    public ExclusionMask(int userCount, int itemCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        WordsPerUser = (itemCount >> 6) + 1;
        long words = (long)WordsPerUser * userCount;
        if (words > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(userCount), userCount, $"{userCount} users × {itemCount} items is too large for one mask.");
        }

        UserCount = userCount;
        ItemCount = itemCount;
        _bits = new ulong[words];
    }

    /// <summary>Number of users.</summary>
    public int UserCount { get; }

    /// <summary>Number of real items N.</summary>
    public int ItemCount { get; }

    internal int WordsPerUser { get; }

    /// <summary>Excludes <paramref name="itemId"/> for <paramref name="user"/>.</summary>
    /// <param name="user">User index in <c>0..UserCount-1</c>.</param>
    /// <param name="itemId">Item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public void Add(int user, int itemId)
    {
        int word = WordIndex(user, itemId);
        _bits[word] |= 1UL << (itemId & 63);
    }

    /// <summary>Whether <paramref name="itemId"/> is excluded for <paramref name="user"/>.</summary>
    /// <param name="user">User index in <c>0..UserCount-1</c>.</param>
    /// <param name="itemId">Item id in <c>1..N</c>.</param>
    /// <returns><see langword="true"/> when excluded.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public bool Contains(int user, int itemId)
    {
        int word = WordIndex(user, itemId);
        return (_bits[word] & (1UL << (itemId & 63))) != 0;
    }

    /// <summary>Number of items excluded for <paramref name="user"/>.</summary>
    /// <param name="user">User index in <c>0..UserCount-1</c>.</param>
    /// <returns>The count.</returns>
    public int Count(int user)
    {
        int total = 0;
        foreach (ulong w in Row(user))
        {
            total += System.Numerics.BitOperations.PopCount(w);
        }

        return total;
    }

    /// <summary>Removes every exclusion of every user.</summary>
    public void Clear() => Array.Clear(_bits);

    /// <summary>Copies all exclusions from <paramref name="source"/>, which must have the same shape.</summary>
    /// <param name="source">The mask to copy.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void CopyFrom(ExclusionMask source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.UserCount != UserCount || source.ItemCount != ItemCount)
        {
            throw new ArgumentException($"Shape {source.UserCount}×{source.ItemCount} differs from {UserCount}×{ItemCount}.", nameof(source));
        }

        source._bits.AsSpan().CopyTo(_bits);
    }

    /// <summary>The bitmap of one user: bit <c>id</c> set when item <c>id</c> is excluded.</summary>
    internal ReadOnlySpan<ulong> Row(int user)
    {
        if ((uint)user >= (uint)UserCount)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User indices are 0..{UserCount - 1}.");
        }

        return _bits.AsSpan(user * WordsPerUser, WordsPerUser);
    }

    private int WordIndex(int user, int itemId)
    {
        if ((uint)user >= (uint)UserCount)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User indices are 0..{UserCount - 1}.");
        }

        if ((uint)(itemId - 1) >= (uint)ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(itemId), itemId, $"Item ids are 1..{ItemCount} (0 is padding).");
        }

        return (user * WordsPerUser) + (itemId >> 6);
    }
}
