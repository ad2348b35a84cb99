using Ipg.Simulation;

namespace Ipg.Simulation.Tests;

public class SimulatorOptionsTests
{
    [Fact]
    public void Paper_preset_has_the_published_values()
    {
        var o = SimulatorOptions.Paper;
        o.Topics.Should().Be(10);
        o.DimensionsPerTopic.Should().Be(2);
        o.Dimension.Should().Be(20);
        o.Users.Should().Be(6034);
        o.Items.Should().Be(3533);
        o.TopicScale.Should().Be(0.4);
        o.TopicClamp.Should().Be(1.0);
        o.Slope.Should().Be(10);
        o.Offset.Should().Be(0.7);
        o.Omega.Should().Be(0.8);
        o.RepeatPenalty.Should().Be(0.1);
        o.BoredomWindow.Should().Be(10);
        o.BoredomThreshold.Should().Be(4);
        o.BoredomDuration.Should().Be(5);
        o.BoredomFactor.Should().Be(0.8);
        o.Seed.Should().Be(2024);
        o.Invoking(x => x.Validate()).Should().NotThrow();
    }

    public static TheoryData<string, SimulatorOptions> BadOptions()
    {
        var p = SimulatorOptions.Paper;
        return new TheoryData<string, SimulatorOptions>
        {
            { nameof(SimulatorOptions.Topics), p with { Topics = 0 } },
            { nameof(SimulatorOptions.DimensionsPerTopic), p with { DimensionsPerTopic = -1 } },
            { nameof(SimulatorOptions.Users), p with { Users = 0 } },
            { nameof(SimulatorOptions.Items), p with { Items = -3 } },
            { nameof(SimulatorOptions.TopicScale), p with { TopicScale = 0 } },
            { nameof(SimulatorOptions.TopicScale), p with { TopicScale = double.NaN } },
            { nameof(SimulatorOptions.TopicClamp), p with { TopicClamp = -1 } },
            { nameof(SimulatorOptions.Slope), p with { Slope = double.PositiveInfinity } },
            { nameof(SimulatorOptions.Slope), p with { Slope = 0 } },
            { nameof(SimulatorOptions.Offset), p with { Offset = double.NaN } },
            { nameof(SimulatorOptions.Omega), p with { Omega = 1.5 } },
            { nameof(SimulatorOptions.Omega), p with { Omega = -0.1 } },
            { nameof(SimulatorOptions.RepeatPenalty), p with { RepeatPenalty = -0.1 } },
            { nameof(SimulatorOptions.BoredomWindow), p with { BoredomWindow = 0 } },
            { nameof(SimulatorOptions.BoredomThreshold), p with { BoredomThreshold = 0 } },
            { nameof(SimulatorOptions.BoredomDuration), p with { BoredomDuration = 0 } },
            { nameof(SimulatorOptions.BoredomFactor), p with { BoredomFactor = 1.01 } },
            { nameof(SimulatorOptions.BoredomFactor), p with { BoredomFactor = double.NaN } },
        };
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Every_bad_parameter_is_refused_by_name(string name, SimulatorOptions options)
    {
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(name);
        FluentActions.Invoking(() => new TopicSimulator(options)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(name);
    }
}
