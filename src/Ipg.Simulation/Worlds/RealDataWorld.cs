using System.Security.Cryptography;
using System.Text;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// A simulator world built from a real interaction log (docs/real-data.md): normalised ground-truth user and item
/// vectors fitted by implicit-feedback matrix factorisation on the train split, item topics, the calibrated click model
/// and the paper's dynamics parameters, every user's train history and held-out item, and the raw-id mapping.
/// Immutable. Built by <see cref="WorldBuilder"/>; saved and loaded in the versioned binary format of docs/real-data.md.
/// </summary>
/// <remarks>
/// <para>Indices: users are 0-based; items are addressed by their ids 1..<see cref="ItemCount"/> (0 is padding, as in
/// the encoders), while the flat arrays <see cref="UserVectors"/>, <see cref="ItemVectors"/> and <see cref="ItemTopics"/>
/// are 0-based (item id k is row k − 1) — the one boundary where ids become indices. Topics are 0-based.</para>
/// <para>Click model (spec §3 with a calibrated offset): P(click u, i) = 1 / (1 + exp(−(ê_u·ê_i − bias[u,i] − <see cref="Offset"/>)·slope)).</para>
/// </remarks>
public sealed class RealDataWorld
{
    /// <summary>Current version of the binary world format.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] s_magic = Encoding.ASCII.GetBytes("IPGWORLD");

    private readonly double[] _userVectors;
    private readonly double[] _itemVectors;
    private readonly int[] _itemTopics;
    private readonly string[] _topicNames;
    private readonly double[] _topicDirections;
    private readonly int[][] _histories;
    private readonly int[] _heldOut;
    private readonly long[] _rawUserIds;
    private readonly long[] _rawItemIds;
    private readonly byte[] _sourceSha256;
    private readonly byte[]? _metadataSha256;

    internal RealDataWorld(
        WorldBuildOptions options,
        double offset,
        double[] userVectors,
        double[] itemVectors,
        int[] itemTopics,
        string[] topicNames,
        double[] topicDirections,
        int[][] histories,
        int[] heldOut,
        long[] rawUserIds,
        long[] rawItemIds,
        InteractionLogKind sourceKind,
        byte[] sourceSha256,
        byte[]? metadataSha256,
        WorldDropCounts dropped)
    {
        Options = options;
        Offset = offset;
        _userVectors = userVectors;
        _itemVectors = itemVectors;
        _itemTopics = itemTopics;
        _topicNames = topicNames;
        _topicDirections = topicDirections;
        _histories = histories;
        _heldOut = heldOut;
        _rawUserIds = rawUserIds;
        _rawItemIds = rawItemIds;
        SourceKind = sourceKind;
        _sourceSha256 = sourceSha256;
        _metadataSha256 = metadataSha256;
        Dropped = dropped;
    }

    /// <summary>The parameters the world was built with (fit, topics, calibration rule and dynamics).</summary>
    public WorldBuildOptions Options { get; }

    /// <summary>The calibrated offset of the click sigmoid.</summary>
    public double Offset { get; }

    /// <summary>Slope of the click sigmoid (<see cref="WorldBuildOptions.Slope"/>).</summary>
    public double Slope => Options.Slope;

    /// <summary>Number of users (after the split dropped short histories).</summary>
    public int UserCount => _rawUserIds.Length;

    /// <summary>Number of items N; item ids are 1..N.</summary>
    public int ItemCount => _rawItemIds.Length;

    /// <summary>Dimension d of the vectors.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>Number of topics.</summary>
    public int TopicCount => _topicNames.Length;

    /// <summary>Unit user vectors ê_u, row-major users × d.</summary>
    public ReadOnlySpan<double> UserVectors => _userVectors;

    /// <summary>Item vectors ê_i, row-major N × d (unit, or scaled by the largest norm: <see cref="WorldBuildOptions.ItemNormalization"/>); item id k is row k − 1.</summary>
    public ReadOnlySpan<double> ItemVectors => _itemVectors;

    /// <summary>Topic (0-based) of every item; item id k is entry k − 1.</summary>
    public ReadOnlySpan<int> ItemTopics => _itemTopics;

    /// <summary>Topic names (genre, attribute, or "cluster c"), by topic index.</summary>
    public IReadOnlyList<string> TopicNames => _topicNames;

    /// <summary>Unit direction of every topic (the normalised mean of its items' vectors), row-major topics × d: the part of
    /// ê_u a boredom rule can damp, since topics of a fitted world are not aligned with dimensions.</summary>
    public ReadOnlySpan<double> TopicDirections => _topicDirections;

    /// <summary>Layout of the source log.</summary>
    public InteractionLogKind SourceKind { get; }

    /// <summary>Lower-case hex SHA-256 of the source log file.</summary>
    public string SourceSha256 => Convert.ToHexString(_sourceSha256).ToLowerInvariant();

    /// <summary>Lower-case hex SHA-256 of the metadata file, or null when topics are k-means clusters.</summary>
    public string? MetadataSha256 => _metadataSha256 is null ? null : Convert.ToHexString(_metadataSha256).ToLowerInvariant();

    /// <summary>Users and items the split removed.</summary>
    public WorldDropCounts Dropped { get; }

    /// <summary>One user's unit vector ê_u.</summary>
    /// <param name="user">0-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public ReadOnlySpan<double> UserVector(int user)
    {
        CheckUser(user);
        return _userVectors.AsSpan(user * Dimension, Dimension);
    }

    /// <summary>One item's vector ê_i.</summary>
    /// <param name="itemId">Item id 1..N.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is out of range.</exception>
    public ReadOnlySpan<double> ItemVector(int itemId)
    {
        CheckItem(itemId);
        return _itemVectors.AsSpan((itemId - 1) * Dimension, Dimension);
    }

    /// <summary>The topic (0-based) of an item.</summary>
    /// <param name="itemId">Item id 1..N.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is out of range.</exception>
    public int ItemTopic(int itemId)
    {
        CheckItem(itemId);
        return _itemTopics[itemId - 1];
    }

    /// <summary>A user's train history (item ids 1..N, oldest first): the starting sequence of a simulation.</summary>
    /// <param name="user">0-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public ReadOnlySpan<int> TrainHistory(int user)
    {
        CheckUser(user);
        return _histories[user];
    }

    /// <summary>A user's held-out (last) item id, 1..N.</summary>
    /// <param name="user">0-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public int HeldOutItem(int user)
    {
        CheckUser(user);
        return _heldOut[user];
    }

    /// <summary>Raw (file) id of a user.</summary>
    /// <param name="user">0-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public long RawUserId(int user)
    {
        CheckUser(user);
        return _rawUserIds[user];
    }

    /// <summary>Raw (file) id of an item.</summary>
    /// <param name="itemId">Item id 1..N.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is out of range.</exception>
    public long RawItemId(int itemId)
    {
        CheckItem(itemId);
        return _rawItemIds[itemId - 1];
    }

    /// <summary>Initial click probability (no repeat penalty yet) of user <paramref name="user"/> on item <paramref name="itemId"/>.</summary>
    /// <param name="user">0-based user index.</param>
    /// <param name="itemId">Item id 1..N.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public double ClickProbability(int user, int itemId)
        => ClickProbabilityOfScore(DeterministicMath.Dot(UserVector(user), ItemVector(itemId)));

    /// <summary>The click sigmoid of a score: 1 / (1 + exp(−(score − offset)·slope)), deterministic arithmetic.</summary>
    /// <param name="score">ê_u·ê_i − bias.</param>
    public double ClickProbabilityOfScore(double score) => DeterministicMath.Sigmoid((score - Offset) * Slope);

    /// <summary>The world hash: lower-case hex SHA-256 of the canonical body, which is also the file's trailing checksum.</summary>
    /// <returns>64 hex characters.</returns>
    public string ComputeHash() => Convert.ToHexString(SHA256.HashData(SerializeBody())).ToLowerInvariant();

    /// <summary>Writes the world (format of docs/real-data.md) followed by its SHA-256.</summary>
    /// <param name="destination">A writable stream; left open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not writable.</exception>
    public void Save(Stream destination) => ChecksummedBinary.Write(destination, SerializeBody());

    /// <summary>Saves the world to a file, atomically (see <see cref="Reproduction.AtomicFile"/>).</summary>
    /// <param name="path">Destination file.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Reproduction.AtomicFile.Write(path, Save);
    }

    /// <summary>Loads a world written by <see cref="Save(Stream)"/>.</summary>
    /// <param name="source">A readable stream positioned at the start of the world.</param>
    /// <returns>The world.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="InvalidDataException">The data is truncated, corrupt, of another version, or inconsistent.</exception>
    public static RealDataWorld Load(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var buffer = new MemoryStream();
        source.CopyTo(buffer);
        return Load(buffer.ToArray());
    }

    /// <summary>Loads a world file (see <see cref="Load(Stream)"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The world.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another version, or inconsistent.</exception>
    public static RealDataWorld Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(File.ReadAllBytes(path));
    }

    private static RealDataWorld Load(byte[] data)
    {
        var (bodyLength, _) = ChecksummedBinary.Verify(data, s_magic, FormatVersion, FormatVersion, "world file");
        try
        {
            using var stream = new MemoryStream(data, 0, bodyLength, writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: false);
            reader.ReadBytes(s_magic.Length + 4);
            var world = WorldFileReader.ReadBody(reader);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"World file has {stream.Length - stream.Position} unexpected trailing bytes.");
            }

            return world;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("World file is truncated.", e);
        }
    }

    private byte[] SerializeBody()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(s_magic);
            w.Write(FormatVersion);
            WorldFileReader.WriteOptions(w, Options);
            w.Write(Offset);
            w.Write(UserCount);
            w.Write(ItemCount);
            w.Write(TopicCount);
            foreach (var x in _userVectors)
            {
                w.Write(x);
            }

            foreach (var x in _itemVectors)
            {
                w.Write(x);
            }

            foreach (var t in _itemTopics)
            {
                w.Write(t);
            }

            foreach (var name in _topicNames)
            {
                w.Write(name);
            }

            foreach (var x in _topicDirections)
            {
                w.Write(x);
            }

            for (var u = 0; u < UserCount; u++)
            {
                w.Write(_histories[u].Length);
                foreach (var id in _histories[u])
                {
                    w.Write(id);
                }

                w.Write(_heldOut[u]);
            }

            foreach (var id in _rawUserIds)
            {
                w.Write(id);
            }

            foreach (var id in _rawItemIds)
            {
                w.Write(id);
            }

            w.Write((int)SourceKind);
            w.Write(_sourceSha256);
            w.Write(_metadataSha256 is not null);
            if (_metadataSha256 is not null)
            {
                w.Write(_metadataSha256);
            }

            w.Write(Dropped.ShortHistories);
            w.Write(Dropped.HeldOutOutsideCatalogue);
            w.Write(Dropped.ItemsWithoutTrainInteractions);
        }

        return stream.ToArray();
    }

    private void CheckUser(int user)
    {
        if ((uint)user >= (uint)UserCount)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"user must be in [0, {UserCount}).");
        }
    }

    private void CheckItem(int itemId)
    {
        if (itemId < 1 || itemId > ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(itemId), itemId, $"itemId must be in [1, {ItemCount}].");
        }
    }
}
