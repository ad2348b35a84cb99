using System.Security.Cryptography;
using System.Text;
using Ipg.Simulation.Tests.Worlds;
using Ipg.Simulation.Worlds;
using Ipg.Tests.Shared;
using Xunit.Abstractions;

namespace Ipg.Simulation.Tests.Reliability;

/// <summary>
/// The hostile-file corpus for the simulation's own files (docs/reliability.md "Hostile files"): thousands of
/// deterministic mutants of a simulator state, a world file and an interaction log meet their readers with
/// <see cref="InvalidDataException"/> only (or load, when the mutation hit a value the format cannot check), no hang and
/// bounded allocation. Most mutants of the checksummed files are resealed (their SHA-256 recomputed), so they reach the
/// parser behind the checksum: forged counts and lengths, not just a checksum mismatch.
/// </summary>
public class HostileFileTests(ITestOutputHelper output)
{
    private static readonly Type[] s_documented = [typeof(InvalidDataException)];

    /// <summary>The allocation bound of one load: 16 bytes per byte of the file plus 4 MiB (a load copies the file and builds arrays of its size).</summary>
    internal static long AllocationBound(Mutant mutant) => (16L * mutant.Bytes.Length) + (4L << 20);

    /// <summary>Recomputes the trailing SHA-256 of a checksummed file (magic, version, body, SHA-256 of what precedes it).</summary>
    internal static byte[] Reseal(byte[] bytes)
    {
        if (bytes.Length < 48)
        {
            return bytes;
        }

        var body = bytes[..^32];
        return [.. body, .. SHA256.HashData(body)];
    }

    internal static byte[] SimulatorState()
    {
        var sim = new TopicSimulator(TestPresets.Small() with { Users = 40, Items = 60 });
        var random = new Random(3);
        for (var round = 0; round < 25; round++)
        {
            sim.Step(Enumerable.Range(0, sim.UserCount).Select(_ => random.Next(1, sim.ItemCount + 1)).ToArray());
        }

        using var stream = new MemoryStream();
        sim.Save(stream);
        return stream.ToArray();
    }

    internal static byte[] WorldFile()
    {
        var (log, _, itemCluster) = PlantedLog.Create(clusters: 4, itemsPerCluster: 15, users: 50, length: 12);
        var labels = Enumerable.Range(0, itemCluster.Length).ToDictionary(i => (long)i + 1000, i => $"genre {itemCluster[i]}");
        var world = WorldBuilder.Build(log, WorldBuilderTests.Small with { Topics = 4, CalibrationSamples = 5_000 }, labels, new string('b', 64));
        using var stream = new MemoryStream();
        world.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Mutants_of_a_simulator_state_are_refused_as_invalid_data_or_load()
    {
        var state = SimulatorState();
        TopicSimulator.Load(new MemoryStream(state)).Should().NotBeNull("the unmutated state loads");
        var corpus = new HostileCorpus();
        corpus.Run(Mutator.Create(state, 3_000, seed: 31, reseal: Reseal), data => TopicSimulator.Load(new MemoryStream(data)), s_documented, AllocationBound);

        output.WriteLine(corpus.Report($"simulator state ({state.Length:N0} bytes)"));
        corpus.Count.Should().BeGreaterThanOrEqualTo(3_000);
        corpus.Failures.Should().BeEmpty();
        (corpus.Count - corpus.Loaded).Should().BeGreaterThan(corpus.Count / 10);
    }

    [Fact]
    public void Mutants_of_a_world_file_are_refused_as_invalid_data_or_load()
    {
        var world = WorldFile();
        RealDataWorld.Load(new MemoryStream(world)).UserCount.Should().BePositive("the unmutated world loads");
        var corpus = new HostileCorpus();
        corpus.Run(Mutator.Create(world, 3_000, seed: 32, reseal: Reseal), data => RealDataWorld.Load(new MemoryStream(data)), s_documented, AllocationBound);
        corpus.Run(ForgedNameLengths(world), data => RealDataWorld.Load(new MemoryStream(data)), s_documented, AllocationBound);

        output.WriteLine(corpus.Report($"world file ({world.Length:N0} bytes)"));
        corpus.Count.Should().BeGreaterThanOrEqualTo(3_000);
        corpus.Failures.Should().BeEmpty();
        (corpus.Count - corpus.Loaded).Should().BeGreaterThan(corpus.Count / 10);
    }

    /// <summary>
    /// The topic names are length-prefixed strings (7-bit encoded lengths): forge each prefix to 0 (an empty name), to a
    /// continuation byte (the length swallows the name), to int.MaxValue and to an over-long encoding; all resealed.
    /// </summary>
    private static IEnumerable<Mutant> ForgedNameLengths(byte[] world)
    {
        byte[][] prefixes = [[0x00], [0x80], [0xFF, 0xFF, 0xFF, 0xFF, 0x07], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]];
        for (var t = 0; t < 4; t++)
        {
            var name = Encoding.UTF8.GetBytes($"genre {t}");
            var at = world.AsSpan().IndexOf([(byte)name.Length, .. name]);
            at.Should().BePositive("topic {0}'s name is in the file", t);
            foreach (var prefix in prefixes)
            {
                yield return new Mutant("forged string length", $"topic {t} at {at}: {Convert.ToHexString(prefix)}", Reseal([.. world[..at], .. prefix, .. world[(at + 1)..]]));
            }
        }
    }

    [Fact]
    public void Mutants_of_an_interaction_log_are_refused_as_invalid_data_or_read()
    {
        var interactions = Enumerable.Range(0, 300).Select(k => new Interaction(k % 30, 1 + (k * 7 % 50))).ToList();
        using var stream = new MemoryStream();
        InteractionLogFormat.Write(stream, interactions);
        var log = stream.ToArray();
        var corpus = new HostileCorpus();
        corpus.Run(Mutator.Create(log, 2_000, seed: 33), data => InteractionLogFormat.Read(new MemoryStream(data)), s_documented, AllocationBound);

        output.WriteLine(corpus.Report($"interaction log ({log.Length:N0} bytes)"));
        corpus.Failures.Should().BeEmpty();
        (corpus.Count - corpus.Loaded).Should().BeGreaterThan(corpus.Count / 10);
    }
}
