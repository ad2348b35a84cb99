namespace Ipg.Simulation.Worlds;

/// <summary>
/// An interaction log read from a file: every user's items in time order, with raw ids mapped to dense ids
/// (items 1..<see cref="ItemCount"/>, 0 is reserved for padding; users 0-based) and the mapping kept.
/// </summary>
/// <remarks>Dense ids are assigned in order of first appearance in the file, so the same file always gives the same ids.</remarks>
public sealed class InteractionLog
{
    private readonly long[] _rawUserIds;
    private readonly long[] _rawItemIds;
    private readonly int[][] _sequences;

    /// <summary>Creates a log from already-mapped data (the reader's result, or a test's own log).</summary>
    /// <param name="rawUserIds">Raw id of every user, indexed by the 0-based user index; distinct.</param>
    /// <param name="rawItemIds">Raw id of every item, indexed by dense id − 1; distinct.</param>
    /// <param name="sequences">Per user, dense item ids (1..<c>rawItemIds.Length</c>) in time order.</param>
    /// <param name="sourceSha256">Lower-case hex SHA-256 of the source file (64 characters).</param>
    /// <param name="sourceKind">The layout the log was read from.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The lengths differ, an id is out of range or repeated, or the hash is malformed.</exception>
    public InteractionLog(IReadOnlyList<long> rawUserIds, IReadOnlyList<long> rawItemIds, IReadOnlyList<int[]> sequences, string sourceSha256, InteractionLogKind sourceKind)
    {
        ArgumentNullException.ThrowIfNull(rawUserIds);
        ArgumentNullException.ThrowIfNull(rawItemIds);
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(sourceSha256);
        if (rawUserIds.Count != sequences.Count)
        {
            throw new ArgumentException($"sequences must have one entry per user ({rawUserIds.Count}), got {sequences.Count}.", nameof(sequences));
        }

        if (sourceSha256.Length != 64 || !sourceSha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"sourceSha256 must be 64 lower-case hex characters, got \"{sourceSha256}\".", nameof(sourceSha256));
        }

        _rawUserIds = [.. rawUserIds];
        _rawItemIds = [.. rawItemIds];
        RequireDistinct(_rawUserIds, nameof(rawUserIds));
        RequireDistinct(_rawItemIds, nameof(rawItemIds));
        _sequences = new int[sequences.Count][];
        long total = 0;
        for (var u = 0; u < sequences.Count; u++)
        {
            var s = sequences[u] ?? throw new ArgumentException($"sequences[{u}] is null.", nameof(sequences));
            foreach (var id in s)
            {
                if (id < 1 || id > _rawItemIds.Length)
                {
                    throw new ArgumentException($"sequences[{u}] holds item id {id}, outside [1, {_rawItemIds.Length}].", nameof(sequences));
                }
            }

            _sequences[u] = [.. s];
            total += s.Length;
        }

        InteractionCount = total;
        SourceSha256 = sourceSha256;
        SourceKind = sourceKind;
    }

    /// <summary>Number of users (lines of a sequence file, distinct users of a ratings or lines file).</summary>
    public int UserCount => _rawUserIds.Length;

    /// <summary>Number of distinct items N; dense ids are 1..N.</summary>
    public int ItemCount => _rawItemIds.Length;

    /// <summary>Total number of interactions.</summary>
    public long InteractionCount { get; }

    /// <summary>Lower-case hex SHA-256 of the source file's bytes.</summary>
    public string SourceSha256 { get; }

    /// <summary>The layout the log was read from.</summary>
    public InteractionLogKind SourceKind { get; }

    /// <summary>Raw id of every user, by 0-based user index.</summary>
    public ReadOnlySpan<long> RawUserIds => _rawUserIds;

    /// <summary>Raw id of every item, by dense id − 1.</summary>
    public ReadOnlySpan<long> RawItemIds => _rawItemIds;

    /// <summary>One user's dense item ids (1..N) in time order.</summary>
    /// <param name="user">0-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public ReadOnlySpan<int> Sequence(int user)
    {
        if ((uint)user >= (uint)_sequences.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"user must be in [0, {_sequences.Length}).");
        }

        return _sequences[user];
    }

    private static void RequireDistinct(long[] ids, string name)
    {
        var seen = new HashSet<long>(ids.Length);
        foreach (var id in ids)
        {
            if (!seen.Add(id))
            {
                throw new ArgumentException($"{name} holds the raw id {id} twice.", name);
            }
        }
    }
}
