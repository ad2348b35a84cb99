using Ipg.Cli;
using Ipg.Simulation;

namespace Ipg.Cli.Tests;

public class CollectLogCommandTests
{
    [Fact]
    public void Collect_log_writes_the_same_log_and_state_as_the_library()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-cli-");
        try
        {
            var log = Path.Combine(dir.FullName, "log.txt");
            var state = Path.Combine(dir.FullName, "state.bin");
            var exit = IpgCommandLine.Invoke(["collect-log", "--users", "50", "--items", "70", "--rounds", "12", "--seed", "3", "--out", log, "--state-out", state]);
            exit.Should().Be(0);

            var sim = new TopicSimulator(SimulatorOptions.Paper with { Users = 50, Items = 70, Seed = 3 });
            var expected = new LogCollector(LogCollectionOptions.Paper with { Rounds = 12, Seed = 3 }).Collect(sim);
            InteractionLogFormat.Read(log).Should().Equal(expected.Interactions);
            TopicSimulator.Load(state).ComputeStateHash().Should().Be(sim.ComputeStateHash());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Invalid_sizes_fail_with_exit_code_2()
    {
        var exit = IpgCommandLine.Invoke(["collect-log", "--users", "0", "--out", Path.Combine(Path.GetTempPath(), "never-written.txt")]);
        exit.Should().Be(2);
    }

    [Fact]
    public void Missing_out_is_a_parse_error() =>
        IpgCommandLine.CreateRootCommand().Parse(["collect-log"]).Errors.Should().NotBeEmpty();
}
