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
    public void A_boredom_window_that_would_overflow_or_exhaust_memory_is_refused_by_name()
    {
        var tooLong = Small() with { BoredomWindow = SimulatorOptions.MaxBoredomWindow + 1 };
        FluentActions.Invoking(() => new TopicSimulator(tooLong)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("BoredomWindow");

        // Users × BoredomWindow used to overflow int silently (a negative or huge ring buffer).
        var overflowing = Small() with { Users = 3_000_000, BoredomWindow = 1024, Topics = 1, DimensionsPerTopic = 1 };
        FluentActions.Invoking(() => overflowing.Validate()).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("BoredomWindow");

        (Small() with { BoredomWindow = SimulatorOptions.MaxBoredomWindow }).Invoking(o => o.Validate()).Should().NotThrow();
    }
}
