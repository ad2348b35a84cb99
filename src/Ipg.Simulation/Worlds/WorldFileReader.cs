namespace Ipg.Simulation.Worlds;

/// <summary>Reads and validates the body of a world file (format in docs/real-data.md); writes the options block.</summary>
internal static class WorldFileReader
{
    public static void WriteOptions(BinaryWriter w, WorldBuildOptions o)
    {
        w.Write(o.Dimension);
        w.Write(o.Seed);
        w.Write(o.MinInteractions);
        w.Write(o.Iterations);
        w.Write(o.Regularization);
        w.Write(o.Alpha);
        w.Write(o.Topics);
        w.Write(o.MaxMetadataTopics ?? -1);
        w.Write(o.Slope);
        w.Write(o.TargetRandomClickRate);
        w.Write(o.CalibrationSamples);
        w.Write(o.Omega);
        w.Write(o.RepeatPenalty);
        w.Write(o.BoredomWindow);
        w.Write(o.BoredomThreshold);
        w.Write(o.BoredomDuration);
        w.Write(o.BoredomFactor);
        w.Write((int)o.ItemNormalization);
    }

    public static RealDataWorld ReadBody(BinaryReader r)
    {
        WorldBuildOptions options;
        try
        {
            options = new WorldBuildOptions
            {
                Dimension = r.ReadInt32(),
                Seed = r.ReadInt64(),
                MinInteractions = r.ReadInt32(),
                Iterations = r.ReadInt32(),
                Regularization = r.ReadDouble(),
                Alpha = r.ReadDouble(),
                Topics = r.ReadInt32(),
                MaxMetadataTopics = r.ReadInt32() is var m && m == -1 ? null : m,
                Slope = r.ReadDouble(),
                TargetRandomClickRate = r.ReadDouble(),
                CalibrationSamples = r.ReadInt32(),
                Omega = r.ReadDouble(),
                RepeatPenalty = r.ReadDouble(),
                BoredomWindow = r.ReadInt32(),
                BoredomThreshold = r.ReadInt32(),
                BoredomDuration = r.ReadInt32(),
                BoredomFactor = r.ReadDouble(),
                ItemNormalization = (ItemVectorNormalization)r.ReadInt32(),
            };
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"World file holds invalid options: {e.Message}", e);
        }

        var offset = r.ReadDouble();
        if (!double.IsFinite(offset))
        {
            throw new InvalidDataException($"World file holds a non-finite click offset {offset}.");
        }

        var users = r.ReadInt32();
        var items = r.ReadInt32();
        var topics = r.ReadInt32();
        var d = options.Dimension;
        if (users <= 0 || items <= 0 || topics <= 0 || topics > items)
        {
            throw new InvalidDataException($"World file holds invalid sizes: {users} users, {items} items, {topics} topics.");
        }

        // Refuse sizes the remaining bytes cannot hold before allocating anything large.
        var remaining = r.BaseStream.Length - r.BaseStream.Position;
        var minimum = (((long)users + items + topics) * d * sizeof(double)) + ((long)items * (sizeof(int) + sizeof(long)))
            + ((long)users * ((2 * sizeof(int)) + sizeof(long)));
        if (minimum > remaining)
        {
            throw new InvalidDataException($"World file is inconsistent: {users} users × {items} items × {d} dimensions need at least {minimum} bytes, but only {remaining} remain.");
        }

        var userVectors = ChecksummedBinary.ReadFinite(r, users * d, "World file: user vectors");
        var itemVectors = ChecksummedBinary.ReadFinite(r, items * d, "World file: item vectors");
        var itemTopics = new int[items];
        for (var i = 0; i < items; i++)
        {
            itemTopics[i] = r.ReadInt32();
            if ((uint)itemTopics[i] >= (uint)topics)
            {
                throw new InvalidDataException($"World file: item {i + 1} has topic {itemTopics[i]}, outside [0, {topics}).");
            }
        }

        var names = new string[topics];
        for (var t = 0; t < topics; t++)
        {
            names[t] = ChecksummedBinary.ReadString(r, $"World file: topic {t}'s name");
            if (names[t].Length == 0)
            {
                throw new InvalidDataException($"World file: topic {t} has an empty name.");
            }
        }

        var directions = ChecksummedBinary.ReadFinite(r, topics * d, "World file: topic directions");
        var histories = new int[users][];
        var heldOut = new int[users];
        for (var u = 0; u < users; u++)
        {
            var n = r.ReadInt32();
            if (n < 1 || n > r.BaseStream.Length - r.BaseStream.Position)
            {
                throw new InvalidDataException($"World file: user {u} has an invalid train history length {n}.");
            }

            histories[u] = new int[n];
            for (var k = 0; k < n; k++)
            {
                histories[u][k] = ReadItemId(r, items, u);
            }

            heldOut[u] = ReadItemId(r, items, u);
        }

        var rawUsers = new long[users];
        for (var u = 0; u < users; u++)
        {
            rawUsers[u] = r.ReadInt64();
        }

        var rawItems = new long[items];
        for (var i = 0; i < items; i++)
        {
            rawItems[i] = r.ReadInt64();
        }

        var kind = (InteractionLogKind)r.ReadInt32();
        if (!Enum.IsDefined(kind))
        {
            throw new InvalidDataException($"World file holds an unknown source log kind {(int)kind}.");
        }

        var sourceSha = ReadExactly(r, 32);
        var metadataSha = r.ReadBoolean() ? ReadExactly(r, 32) : null;
        var dropped = new WorldDropCounts(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        if (dropped.ShortHistories < 0 || dropped.HeldOutOutsideCatalogue < 0 || dropped.ItemsWithoutTrainInteractions < 0)
        {
            throw new InvalidDataException($"World file holds negative drop counts {dropped}.");
        }

        return new RealDataWorld(options, offset, userVectors, itemVectors, itemTopics, names, directions, histories, heldOut, rawUsers, rawItems, kind, sourceSha, metadataSha, dropped);
    }

    private static int ReadItemId(BinaryReader r, int items, int user)
    {
        var id = r.ReadInt32();
        if (id < 1 || id > items)
        {
            throw new InvalidDataException($"World file: user {user} has item id {id}, outside [1, {items}].");
        }

        return id;
    }

    private static byte[] ReadExactly(BinaryReader r, int count)
    {
        var bytes = r.ReadBytes(count);
        if (bytes.Length != count)
        {
            throw new EndOfStreamException();
        }

        return bytes;
    }
}
