using System.Security.Cryptography;
using Ipg.Simulation.Worlds;

namespace Ipg.Simulation.Tests.Worlds;

public class RealDataWorldTests
{
    private static readonly Lazy<RealDataWorld> s_world = new(() =>
    {
        var (log, _, itemCluster) = PlantedLog.Create(users: 120);
        var labels = Enumerable.Range(0, itemCluster.Length).ToDictionary(i => (long)i + 1000, i => $"genre {itemCluster[i]}");
        return WorldBuilder.Build(log, WorldBuilderTests.Small, labels, new string('b', 64));
    });

    private static byte[] Bytes(RealDataWorld world)
    {
        using var stream = new MemoryStream();
        world.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void A_saved_world_loads_back_identical()
    {
        var world = s_world.Value;
        var path = Path.Combine(Path.GetTempPath(), $"ipg-world-{Guid.NewGuid():N}.bin");
        try
        {
            world.Save(path);
            var loaded = RealDataWorld.Load(path);

            loaded.ComputeHash().Should().Be(world.ComputeHash());
            loaded.Options.Should().Be(world.Options);
            loaded.Offset.Should().Be(world.Offset);
            loaded.UserVectors.ToArray().Should().Equal(world.UserVectors.ToArray());
            loaded.ItemVectors.ToArray().Should().Equal(world.ItemVectors.ToArray());
            loaded.ItemTopics.ToArray().Should().Equal(world.ItemTopics.ToArray());
            loaded.TopicNames.Should().Equal(world.TopicNames);
            loaded.TopicDirections.ToArray().Should().Equal(world.TopicDirections.ToArray());
            for (var u = 0; u < world.UserCount; u++)
            {
                loaded.TrainHistory(u).ToArray().Should().Equal(world.TrainHistory(u).ToArray());
                loaded.HeldOutItem(u).Should().Be(world.HeldOutItem(u));
                loaded.RawUserId(u).Should().Be(world.RawUserId(u));
            }

            Enumerable.Range(1, world.ItemCount).Select(loaded.RawItemId).Should().Equal(Enumerable.Range(1, world.ItemCount).Select(world.RawItemId));
            loaded.SourceSha256.Should().Be(world.SourceSha256);
            loaded.MetadataSha256.Should().Be(new string('b', 64));
            loaded.SourceKind.Should().Be(InteractionLogKind.Sequences);
            loaded.Dropped.Should().Be(world.Dropped);

            // The file ends with the SHA-256 of its body, which is the world hash.
            var bytes = File.ReadAllBytes(path);
            Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - 32)).Should().Be(world.ComputeHash());
            Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32))).Should().Be(world.ComputeHash());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_truncated_world_is_refused_at_every_length()
    {
        var bytes = Bytes(s_world.Value);
        foreach (var length in new[] { 0, 5, 8, 12, 43, 100, bytes.Length / 2, bytes.Length - 33, bytes.Length - 1 })
        {
            FluentActions.Invoking(() => RealDataWorld.Load(new MemoryStream(bytes[..length])))
                .Should().Throw<InvalidDataException>($"a {length}-byte prefix is not a world");
        }
    }

    [Fact]
    public void A_flipped_byte_anywhere_is_refused()
    {
        var bytes = Bytes(s_world.Value);
        var rng = new Random(3);
        for (var k = 0; k < 20; k++)
        {
            var copy = (byte[])bytes.Clone();
            copy[rng.Next(12, copy.Length)] ^= 0x10;
            FluentActions.Invoking(() => RealDataWorld.Load(new MemoryStream(copy)))
                .Should().Throw<InvalidDataException>().WithMessage("*checksum*");
        }
    }

    [Fact]
    public void Bad_magic_and_other_versions_say_so()
    {
        var bytes = Bytes(s_world.Value);
        var magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        FluentActions.Invoking(() => RealDataWorld.Load(new MemoryStream(magic)))
            .Should().Throw<InvalidDataException>().WithMessage("Not a world file: bad magic*");

        var version = (byte[])bytes.Clone();
        version[8] = 2;
        FluentActions.Invoking(() => RealDataWorld.Load(new MemoryStream(version)))
            .Should().Throw<InvalidDataException>().WithMessage("Unsupported world file format version 2*");
    }

    [Fact]
    public void A_consistent_checksum_over_inconsistent_content_is_still_refused()
    {
        // Rewrite the first train history length as 0 and re-seal the checksum: validation, not only the hash, refuses it.
        var world = s_world.Value;
        var bytes = Bytes(world);
        var d = world.Dimension;
        var optionsLength = (4 * 10) + (8 * 8);
        var offset = 8 + 4 + optionsLength + 8 + 12 + ((world.UserCount + world.ItemCount) * d * 8) + (world.ItemCount * 4);
        offset += world.TopicNames.Sum(n => 1 + System.Text.Encoding.UTF8.GetByteCount(n)) + (world.TopicCount * d * 8);
        BitConverter.ToInt32(bytes, offset).Should().Be(world.TrainHistory(0).Length, "the offset computation follows the documented layout");
        BitConverter.GetBytes(0).CopyTo(bytes, offset);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);

        FluentActions.Invoking(() => RealDataWorld.Load(new MemoryStream(bytes)))
            .Should().Throw<InvalidDataException>().WithMessage("World file: user 0 has an invalid train history length 0.");
    }

    [Fact]
    public void Accessors_use_item_ids_one_to_n_and_validate_them()
    {
        var world = s_world.Value;
        world.ItemVector(1).ToArray().Should().Equal(world.ItemVectors[..world.Dimension].ToArray());
        world.ItemTopic(world.ItemCount).Should().Be(world.ItemTopics[^1]);
        FluentActions.Invoking(() => world.ItemVector(0)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("itemId");
        FluentActions.Invoking(() => world.UserVector(world.UserCount)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("user");

        var score = DeterministicMath.Dot(world.UserVector(0), world.ItemVector(3));
        world.ClickProbability(0, 3).Should().BeApproximately(1 / (1 + Math.Exp(-(score - world.Offset) * world.Slope)), 1e-12);
    }
}
