namespace Ipg.Tests;

public class IpgOptionsTests
{
    [Fact]
    public void Defaults_and_paper_preset_are_as_documented()
    {
        IpgOptions.Default.Form.Should().Be(GuidanceForm.Increase);
        IpgOptions.Default.Gamma.Should().Be(0.8f);
        IpgOptions.Default.NegativeGuidance.Should().Be(NegativeGuidancePolicy.AccuracyFallback);
        IpgOptions.Paper.Form.Should().Be(GuidanceForm.Increase);
        IpgOptions.Paper.NegativeGuidance.Should().Be(NegativeGuidancePolicy.Raw);
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
        var act = () => new IpgOptions { Gamma = gamma }.Validate();
        if (valid)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Gamma");
        }
    }
}
