using Ipg.Guidance;
using Ipg.Simulation.Analysis;
using MathNet.Numerics;

namespace Ipg.Simulation.Tests.Analysis;

public class GammaFitAccumulatorTests
{
    [Fact]
    public void Gamma_equals_MathNet_line_through_origin_over_the_stacked_coordinates()
    {
        // Reference: y = n − e regressed on x = u − e through the origin, all coordinates of all pairs stacked.
        var random = new Random(11);
        var accumulator = new GammaFitAccumulator();
        var xs = new List<double>();
        var ys = new List<double>();
        for (int pair = 0; pair < 50; pair++)
        {
            var u = Vector(random, 7);
            var e = Vector(random, 7);
            var n = Vector(random, 7);
            accumulator.Add(u, e, n);
            for (int k = 0; k < 7; k++)
            {
                xs.Add(u[k] - e[k]);
                ys.Add(n[k] - e[k]);
            }
        }

        var fit = accumulator.Result();
        double reference = Fit.LineThroughOrigin(xs.ToArray(), ys.ToArray());
        fit.Gamma.Should().BeApproximately(reference, 1e-6, "the dot products are float");
        fit.Pairs.Should().Be(50);

        // Residual against a direct computation.
        double residual = xs.Zip(ys, (x, y) => (y - (reference * x)) * (y - (reference * x))).Sum();
        fit.RelativeResidual.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(1);
        double move = 0;
        var again = new Random(11);
        for (int pair = 0; pair < 50; pair++)
        {
            var u = Vector(again, 7);
            Vector(again, 7);
            var n = Vector(again, 7);
            move += u.Zip(n, (a, b) => (b - a) * (b - a)).Sum();
        }

        fit.RelativeResidual.Should().BeApproximately(Math.Sqrt(residual / move), 1e-6);
    }

    [Fact]
    public void An_exactly_linear_move_is_recovered_with_zero_residual()
    {
        var random = new Random(3);
        var accumulator = new GammaFitAccumulator();
        for (int pair = 0; pair < 20; pair++)
        {
            var u = Vector(random, 5);
            var e = Vector(random, 5);
            var n = u.Zip(e, (a, b) => (0.7f * a) + (0.3f * b)).ToArray();
            accumulator.Add(u, e, n);
        }

        var fit = accumulator.Result();
        fit.Gamma.Should().BeApproximately(0.7, 1e-5);
        fit.RelativeResidual.Should().BeLessThan(1e-3);
        fit.A.Should().BeApproximately(0.7, 1e-4);
        fit.B.Should().BeApproximately(0.3, 1e-4);
        fit.ToAbsoluteOptions().Should().Be(IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(fit.GammaForOptions) });
    }

    [Fact]
    public void Without_pairs_everything_is_NaN_and_there_are_no_options()
    {
        var fit = new GammaFitAccumulator().Result();
        fit.Pairs.Should().Be(0);
        fit.Gamma.Should().Be(double.NaN);
        fit.Invoking(f => f.ToAbsoluteOptions()).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Gamma_for_options_is_clamped_into_the_valid_range()
    {
        var fit = new GammaFit(1, 1.2, 0, 1, 0, 0, 0, 0, 0);
        fit.GammaForOptions.Should().Be(0.999f);
        (fit with { Gamma = -0.5 }).GammaForOptions.Should().Be(0f);
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        new GammaFitAccumulator().Invoking(a => a.Add(new float[3], new float[3], new float[2])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("next");
    }

    private static float[] Vector(Random random, int d) => Enumerable.Range(0, d).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
