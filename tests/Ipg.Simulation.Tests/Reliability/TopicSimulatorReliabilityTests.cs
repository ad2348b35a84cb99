using System.Buffers.Binary;
using System.Security.Cryptography;
using Ipg.Simulation.Reproduction;

namespace Ipg.Simulation.Tests.Reliability;

/// <summary>
/// Bad input to the simulator's options, saved state and files (docs/reliability.md, rows R33–R38): each is refused
/// with the documented exception, before any large allocation, and leaves the simulator and the files unchanged.
/// </summary>
public class TopicSimulatorReliabilityTests
{
    // Offsets of the option fields in the state format (docs/simulator.md): magic (8), version (4), then the options.
    private const int UsersOffset = 8 + 4 + 4 + 4;
    private const int ItemsOffset = UsersOffset + 4;
    private const int BoredomWindowOffset = ItemsOffset + 4 + (6 * 8);

    private static SimulatorOptions Small() => SimulatorOptions.Paper with { Users = 30, Items = 40, Seed = 3 };

    private static byte[] SavedState(TopicSimulator sim)
    {
        using var stream = new MemoryStream();
        sim.Save(stream);
        return stream.ToArray();
    }

    /// <summary>Patches an int32 field and recomputes the trailing SHA-256, as a forger would, so only the reader's own checks stand.</summary>
    private static byte[] Forge(byte[] state, int offset, int value)
    {
        var forged = (byte[])state.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(forged.AsSpan(offset, 4), value);
        SHA256.HashData(forged.AsSpan(0, forged.Length - 32)).CopyTo(forged.AsSpan(forged.Length - 32));
        return forged;
    }

    [Fact]
    public void Forged_state_declaring_huge_sizes_is_refused_before_allocating()
    {
        var sim = new TopicSimulator(Small());
        var state = SavedState(sim);
        TopicSimulator.Load(new MemoryStream(state)).ComputeStateHash().Should().Be(sim.ComputeStateHash(), "the unforged state loads");

        var cases = new (string What, byte[] Data, string Message)[]
        {
            ("a million users", Forge(state, UsersOffset, 1_000_000), "*need at least*bytes, but only*remain*"),
            ("a million items", Forge(state, ItemsOffset, 1_000_000), "*need at least*bytes, but only*remain*"),
            ("int.MaxValue users", Forge(state, UsersOffset, int.MaxValue), "*invalid options*Users*"),
            ("a billion-click boredom window", Forge(state, BoredomWindowOffset, 1_000_000_000), "*invalid options*BoredomWindow*"),
        };

        foreach (var (what, data, message) in cases)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            FluentActions.Invoking(() => TopicSimulator.Load(new MemoryStream(data))).Should().Throw<InvalidDataException>(what).WithMessage(message);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            allocated.Should().BeLessThan(16L * state.Length + (1 << 20), $"{what} must be refused before the arrays it declares are allocated");
        }

        sim.ComputeStateHash().Should().Be(TopicSimulator.Load(new MemoryStream(state)).ComputeStateHash(), "the live simulator is untouched");
    }

    [Fact]
    public void Corrupt_truncated_or_foreign_state_is_refused_and_a_live_simulator_is_unchanged()
    {
        var sim = new TopicSimulator(Small());
        sim.Step(Enumerable.Repeat(3, 30).ToArray());
        var hash = sim.ComputeStateHash();
        var state = SavedState(sim);

        var flipped = (byte[])state.Clone();
        flipped[state.Length / 2] ^= 0x10;
        var foreign = (byte[])state.Clone();
        foreign[0] = (byte)'X';
        var cases = new (string What, byte[] Data, string Message)[]
        {
            ("one flipped bit", flipped, "*checksum*"),
            ("cut at every tenth", state[..(state.Length / 10)], "*"),
            ("cut before the checksum", state[..^32], "*"),
            ("one byte short", state[..^1], "*"),
            ("empty", [], "*truncated*"),
            ("another file type", foreign, "*magic*"),
            ("negative round counter", ForgeLong(state, BoredomWindowOffset + 4 + 4 + 4 + 8 + 8, -5), "*negative round counter*"),
        };
        foreach (var (what, data, message) in cases)
        {
            FluentActions.Invoking(() => TopicSimulator.Load(new MemoryStream(data))).Should().Throw<InvalidDataException>(what).WithMessage(message);
            sim.ComputeStateHash().Should().Be(hash, what);
        }

        sim.Step(Enumerable.Repeat(4, 30).ToArray());
        var twin = TopicSimulator.Load(new MemoryStream(state));
        twin.Step(Enumerable.Repeat(4, 30).ToArray());
        twin.ComputeStateHash().Should().Be(sim.ComputeStateHash(), "the live simulator continues exactly as a fresh load of its state");
    }

    private static byte[] ForgeLong(byte[] state, int offset, long value)
    {
        var forged = (byte[])state.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(forged.AsSpan(offset, 8), value);
        SHA256.HashData(forged.AsSpan(0, forged.Length - 32)).CopyTo(forged.AsSpan(forged.Length - 32));
        return forged;
    }

    [Fact]
    public void A_boredom_window_that_would_overflow_or_exhaust_memory_is_refused_by_name()
    {
        var tooLong = Small() with { BoredomWindow = SimulatorOptions.MaxBoredomWindow + 1 };
        FluentActions.Invoking(() => new TopicSimulator(tooLong)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("BoredomWindow");

        // Users × BoredomWindow used to overflow int silently (a negative or huge ring buffer).
        var overflowing = Small() with { Users = 3_000_000, BoredomWindow = 1024, Topics = 1, DimensionsPerTopic = 1 };
        FluentActions.Invoking(() => overflowing.Validate()).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("BoredomWindow");

        (Small() with { BoredomWindow = SimulatorOptions.MaxBoredomWindow }).Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void Saving_to_a_path_that_cannot_be_written_throws_and_leaves_no_file_and_the_state_unchanged()
    {
        var sim = new TopicSimulator(Small());
        var hash = sim.ComputeStateHash();
        string folder = Directory.CreateTempSubdirectory("ipg-rel-").FullName;
        try
        {
            string missingFolder = Path.Combine(folder, "no-such-folder", "state.bin");
            sim.Invoking(s => s.Save(missingFolder)).Should().Throw<DirectoryNotFoundException>();
            File.Exists(missingFolder).Should().BeFalse();

            // A directory where the file should go: the rename fails and the temporary file is removed.
            string isADirectory = Path.Combine(folder, "state.bin");
            Directory.CreateDirectory(isADirectory);
            sim.Invoking(s => s.Save(isADirectory)).Should().Throw<IOException>();
            Directory.GetFiles(folder).Should().BeEmpty("no temporary or partial file is left behind");

            sim.ComputeStateHash().Should().Be(hash);
            string ok = Path.Combine(folder, "ok.bin");
            sim.Save(ok);
            TopicSimulator.Load(ok).ComputeStateHash().Should().Be(hash, "the simulator still saves correctly afterwards");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_log_write_that_fails_half_way_leaves_the_previous_file_untouched()
    {
        string folder = Directory.CreateTempSubdirectory("ipg-rel-").FullName;
        try
        {
            string path = Path.Combine(folder, "log.txt");
            var good = new[] { new Interaction(0, 1), new Interaction(1, 2) };
            InteractionLogFormat.Write(path, good);
            var before = File.ReadAllBytes(path);

            // 100,000 valid lines (past the writer's 64 KiB buffer, so bytes reach the file), then a negative index.
            var bad = Enumerable.Range(0, 100_000).Select(i => new Interaction(i % 7, i % 11)).Append(new Interaction(-1, 0));
            FluentActions.Invoking(() => InteractionLogFormat.Write(path, bad)).Should().Throw<ArgumentException>().WithParameterName("interactions");

            File.ReadAllBytes(path).Should().Equal(before, "the old log is replaced only by a complete new one");
            Directory.GetFiles(folder).Should().ContainSingle();
            InteractionLogFormat.Read(path).Should().Equal(good);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Atomic_results_write_into_a_missing_folder_throws_and_leaves_nothing()
    {
        string folder = Path.Combine(Path.GetTempPath(), "ipg-rel-missing-" + Guid.NewGuid().ToString("N"), "results.json");
        FluentActions.Invoking(() => AtomicFile.Write(folder, s => s.WriteByte(1))).Should().Throw<DirectoryNotFoundException>();
        Directory.Exists(Path.GetDirectoryName(folder)).Should().BeFalse();
    }
}
