using Ipg.Guidance;

namespace Ipg.Tests;

public class IpgOptionsTests
{
    [Fact]
    public void Defaults_and_paper_preset_are_as_documented()
    {
        IpgOptions.Default.Guidance.Should().BeSameAs(CosineGuidance.Instance);
        IpgOptions.Default.NegativeGuidance.Should().Be(NegativeGuidancePolicy.AccuracyFallback);
        IpgOptions.Default.Strength.Should().Be(0.35f);
        IpgOptions.Default.Acceptance.Should().BeNull();
        new IpgOptions().Should().Be(IpgOptions.Default);
        IpgOptions.Paper.Guidance.Should().Be(LinearGuidance.Increase(0.8f));
        IpgOptions.Paper.NegativeGuidance.Should().Be(NegativeGuidancePolicy.Raw);
        IpgOptions.Paper.Strength.Should().Be(1f);
        IpgOptions.Paper.Acceptance.Should().BeNull();
    }

    [Theory]
    [InlineData(0f, true)]
    [InlineData(0.999f, true)]
    [InlineData(1f, false)]
    [InlineData(-0.001f, false)]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    public void Gamma_must_be_in_zero_to_one(float gamma, bool valid)
    {
        var act = () => LinearGuidance.Absolute(gamma);
        if (valid)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("gamma");
        }
    }

    [Theory]
    [InlineData(0f, true)]
    [InlineData(0.5f, true)]
    [InlineData(1f, true)]
    [InlineData(1.0001f, false)]
    [InlineData(-0.001f, false)]
    [InlineData(float.NaN, false)]
    public void Strength_must_be_in_zero_to_one_inclusive(float strength, bool valid)
    {
        var act = () => new IpgOptions { Strength = strength }.Validate();
        if (valid)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Strength").WithMessage("*finite value in ?0, 1]*");
        }
    }
}
