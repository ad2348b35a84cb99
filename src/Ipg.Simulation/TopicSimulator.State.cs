using System.Security.Cryptography;
using System.Text;

namespace Ipg.Simulation;

/// <content>Saving, loading and hashing the simulator state (format documented in docs/simulator.md).</content>
public sealed partial class TopicSimulator
{
    /// <summary>
    /// Newest version of the binary state format: 2 adds, for a simulator over a given ground truth
    /// (<see cref="FromGroundTruth"/>), its dimension, topic directions and item topics. A paper-world state is still
    /// written as version 1 (so its bytes and hash do not change); both versions are read.
    /// </summary>
    public const int StateFormatVersion = 2;

    private static readonly byte[] s_magic = Encoding.ASCII.GetBytes("IPGSIMST");

    /// <summary>
    /// Writes the whole state (options, embeddings, sparse bias, boredom, round counter, click
    /// stream) in the versioned binary format of docs/simulator.md, followed by its SHA-256.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not writable.</exception>
    /// <exception cref="InvalidOperationException">This is a user range of another state that does not start at its user 0 (an internal part of a split run).</exception>
    public void Save(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("destination must be writable.", nameof(destination));
        }

        if (_drawOffset != 0)
        {
            // The format has no field for it; a range is a transient part of a split run.
            throw new InvalidOperationException("A user range that does not start at user 0 cannot be saved.");
        }

        ChecksummedBinary.Write(destination, SerializeBody());
    }

    /// <summary>Saves the state to a file (see <see cref="Save(Stream)"/>).</summary>
    /// <param name="path">Destination file; replaced atomically (through <see cref="Reproduction.AtomicFile"/>), so a failed
    /// write leaves any existing file untouched and no partial file behind.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Reproduction.AtomicFile.Write(path, Save);
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of the canonical serialised state: equal hashes mean equal
    /// states bit for bit. It is also the checksum that ends a saved file.
    /// </summary>
    /// <returns>64 hex characters.</returns>
    public string ComputeStateHash() => Convert.ToHexString(SHA256.HashData(SerializeBody())).ToLowerInvariant();

    /// <summary>Loads a state written by <see cref="Save(Stream)"/>; it continues exactly as the saved simulator would have.</summary>
    /// <param name="source">A readable stream positioned at the start of the state.</param>
    /// <returns>The restored simulator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="InvalidDataException">The data is truncated, corrupt, of another version, or inconsistent.</exception>
    public static TopicSimulator Load(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var buffer = new MemoryStream();
        source.CopyTo(buffer);
        return Load(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Loads a state file (see <see cref="Load(Stream)"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The restored simulator.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another version, or inconsistent.</exception>
    public static TopicSimulator Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(File.ReadAllBytes(path).AsSpan());
    }

    private static TopicSimulator Load(ReadOnlySpan<byte> data)
    {
        var (bodyLength, version) = ChecksummedBinary.Verify(data, s_magic, 1, StateFormatVersion, "simulator state");
        var body = data[..bodyLength];
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: false);
            reader.ReadBytes(s_magic.Length + 4);
            var sim = ReadBody(reader, version);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"Simulator state has {stream.Length - stream.Position} unexpected trailing bytes.");
            }

            return sim;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Simulator state is truncated.", e);
        }
    }

    private static TopicSimulator ReadBody(BinaryReader r, int version)
    {
        SimulatorOptions options;
        try
        {
            options = new SimulatorOptions
            {
                Topics = r.ReadInt32(),
                DimensionsPerTopic = r.ReadInt32(),
                Users = r.ReadInt32(),
                Items = r.ReadInt32(),
                TopicScale = r.ReadDouble(),
                TopicClamp = r.ReadDouble(),
                Slope = r.ReadDouble(),
                Offset = r.ReadDouble(),
                Omega = r.ReadDouble(),
                RepeatPenalty = r.ReadDouble(),
                BoredomWindow = r.ReadInt32(),
                BoredomThreshold = r.ReadInt32(),
                BoredomDuration = r.ReadInt32(),
                BoredomFactor = r.ReadDouble(),
                Seed = r.ReadInt64(),
            };
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Simulator state holds invalid options: {e.Message}", e);
        }

        // Version 2 (a given ground truth): the dimension, the topic directions and the item topics.
        var dimension = options.Dimension;
        double[]? directions = null;
        int[]? topics = null;
        if (version == 2)
        {
            dimension = r.ReadInt32();
            if (dimension < 1 || (long)options.Topics * dimension > r.BaseStream.Length)
            {
                throw new InvalidDataException($"Simulator state: invalid dimension {dimension}.");
            }

            directions = new double[options.Topics * dimension];
            ChecksummedBinary.ReadFinite(r, directions, "Simulator state: topic directions");
            if ((long)options.Items * sizeof(int) > r.BaseStream.Length - r.BaseStream.Position)
            {
                throw new InvalidDataException("Simulator state is truncated (item topics).");
            }

            topics = new int[options.Items];
            for (var i = 0; i < topics.Length; i++)
            {
                topics[i] = r.ReadInt32();
                if ((uint)topics[i] >= (uint)options.Topics)
                {
                    throw new InvalidDataException($"Simulator state: item id {i + 1} has an invalid topic {topics[i]}.");
                }
            }
        }

        // Refuse sizes the remaining bytes cannot possibly hold before allocating: the round counter and click
        // stream, the embeddings, and per user at least a bias count, a window length and (flag, timeout) per topic.
        var remaining = r.BaseStream.Length - r.BaseStream.Position;
        var minimum = (2L * sizeof(long))
            + (((long)options.Users + options.Items) * dimension * sizeof(double))
            + ((long)options.Users * ((2 * sizeof(int)) + (options.Topics * (sizeof(byte) + sizeof(int)))));
        if (minimum > remaining)
        {
            throw new InvalidDataException(
                $"Simulator state is inconsistent: {options.Users} users × {options.Items} items × {dimension} dimensions need at least {minimum} bytes, but only {remaining} remain.");
        }

        var sim = new TopicSimulator(options, generate: false, dimension, directions);
        sim._round = r.ReadInt64();
        sim._clickStream = r.ReadInt64();
        if (sim._round < 0)
        {
            throw new InvalidDataException($"Simulator state has a negative round counter {sim._round}.");
        }

        ChecksummedBinary.ReadFinite(r, sim._userEmb, "Simulator state: user embeddings");
        ChecksummedBinary.ReadFinite(r, sim._itemEmb, "Simulator state: item embeddings");
        if (topics is not null)
        {
            topics.CopyTo(sim._itemTopic, 0);
        }
        else
        {
            for (var i = 0; i < sim._items; i++)
            {
                sim._itemTopic[i] = sim.DominantTopic(sim._itemEmb.AsSpan(i * sim._dim, sim._dim));
            }
        }

        for (var u = 0; u < sim._users; u++)
        {
            var count = r.ReadInt32();
            if (count < 0 || count > sim._items)
            {
                throw new InvalidDataException($"Simulator state: user {u} has an invalid bias count {count}.");
            }

            if (count == 0)
            {
                continue;
            }

            var b = new Dictionary<int, double>(count);
            var previous = -1;
            for (var k = 0; k < count; k++)
            {
                var item = r.ReadInt32();
                var value = r.ReadDouble();
                if (item <= previous || item >= sim._items || !double.IsFinite(value))
                {
                    throw new InvalidDataException($"Simulator state: invalid bias entry ({item}, {value}) for user {u}.");
                }

                b[item] = value;
                previous = item;
            }

            sim._bias[u] = b;
        }

        var window = options.BoredomWindow;
        for (var u = 0; u < sim._users; u++)
        {
            var count = r.ReadInt32();
            if (count < 0 || count > window)
            {
                throw new InvalidDataException($"Simulator state: user {u} has an invalid boredom window length {count}.");
            }

            sim._windowCount[u] = count;
            for (var k = 0; k < count; k++)
            {
                var topic = r.ReadInt32();
                if ((uint)topic >= (uint)sim._topics)
                {
                    throw new InvalidDataException($"Simulator state: user {u} remembers an invalid topic {topic}.");
                }

                sim._window[(u * window) + k] = topic;
            }

            for (var t = 0; t < sim._topics; t++)
            {
                var flag = r.ReadByte();
                var timeout = r.ReadInt32();
                if (flag > 1 || timeout < 1 || timeout > options.BoredomDuration)
                {
                    throw new InvalidDataException($"Simulator state: user {u} has invalid boredom ({flag}, {timeout}) for topic {t}.");
                }

                sim._bored[(u * sim._topics) + t] = flag == 1;
                sim._boredTimeout[(u * sim._topics) + t] = timeout;
            }
        }

        return sim;
    }

    /// <summary>The canonical serialisation (everything but the trailing checksum), little-endian.</summary>
    private byte[] SerializeBody()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(s_magic);
            w.Write(_topicDirections is null ? 1 : 2);
            var o = _options;
            w.Write(o.Topics);
            w.Write(o.DimensionsPerTopic);
            w.Write(o.Users);
            w.Write(o.Items);
            w.Write(o.TopicScale);
            w.Write(o.TopicClamp);
            w.Write(o.Slope);
            w.Write(o.Offset);
            w.Write(o.Omega);
            w.Write(o.RepeatPenalty);
            w.Write(o.BoredomWindow);
            w.Write(o.BoredomThreshold);
            w.Write(o.BoredomDuration);
            w.Write(o.BoredomFactor);
            w.Write(o.Seed);
            if (_topicDirections is not null)
            {
                w.Write(_dim);
                foreach (var v in _topicDirections)
                {
                    w.Write(v);
                }

                foreach (var t in _itemTopic)
                {
                    w.Write(t);
                }
            }

            w.Write(_round);
            w.Write(_clickStream);
            foreach (var v in _userEmb)
            {
                w.Write(v);
            }

            foreach (var v in _itemEmb)
            {
                w.Write(v);
            }

            for (var u = 0; u < _users; u++)
            {
                var b = _bias[u];
                if (b is null)
                {
                    w.Write(0);
                    continue;
                }

                w.Write(b.Count);
                foreach (var item in b.Keys.Order())
                {
                    w.Write(item);
                    w.Write(b[item]);
                }
            }

            var window = o.BoredomWindow;
            for (var u = 0; u < _users; u++)
            {
                // Remembered topics oldest first: the ring buffer's start offset is not state.
                w.Write(_windowCount[u]);
                for (var k = 0; k < _windowCount[u]; k++)
                {
                    w.Write(_window[(u * window) + ((_windowStart[u] + k) % window)]);
                }

                for (var t = 0; t < _topics; t++)
                {
                    w.Write((byte)(_bored[(u * _topics) + t] ? 1 : 0));
                    w.Write(_boredTimeout[(u * _topics) + t]);
                }
            }
        }

        return stream.ToArray();
    }
}
