using Ipg.Simulation;
using MathNet.Numerics.Random;

namespace Ipg.Simulation.Tests;

public class DeterministicMathTests
{
    [Fact]
    public void Exp_matches_the_platform_within_a_few_ulps()
    {
        var rng = new Xoshiro256StarStar(1, false);
        for (var k = 0; k < 20000; k++)
        {
            var x = (rng.NextDouble() * 200) - 100;
            DeterministicMath.Exp(x).Should().BeApproximately(Math.Exp(x), Math.Exp(x) * 4e-16);
        }

        DeterministicMath.Exp(0).Should().Be(1);
        DeterministicMath.Exp(-800).Should().Be(0);
        DeterministicMath.Exp(800).Should().Be(double.PositiveInfinity);
    }

    [Fact]
    public void Log_matches_the_platform_within_a_few_ulps()
    {
        var rng = new Xoshiro256StarStar(2, false);
        for (var k = 0; k < 20000; k++)
        {
            var x = Math.Exp((rng.NextDouble() * 80) - 40);
            DeterministicMath.Log(x).Should().BeApproximately(Math.Log(x), Math.Max(Math.Abs(Math.Log(x)), 1) * 4e-16);
        }

        DeterministicMath.Log(1).Should().Be(0);
        DeterministicMath.Log(0).Should().Be(double.NegativeInfinity);
        double.IsNaN(DeterministicMath.Log(-1)).Should().BeTrue();
    }

    [Fact]
    public void Sigmoid_is_one_half_at_zero() => DeterministicMath.Sigmoid(0).Should().Be(0.5);
}
