using Ipg.Simulation;
using MathNet.Numerics.Random;

namespace Ipg.Simulation.Tests;

public class PreferenceKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(20, 3)]
    [InlineData(20, 16)]
    [InlineData(20, 37)]
    [InlineData(7, 100)]
    [InlineData(20, 0)]
    public void DotAll_is_bit_identical_to_the_scalar_dot(int dim, int items)
    {
        var rng = new Xoshiro256StarStar(dim * 1000 + items, false);
        var user = Enumerable.Range(0, dim).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var rows = Enumerable.Range(0, items).Select(_ => Enumerable.Range(0, dim).Select(_ => rng.NextDouble() - 0.3).ToArray()).ToArray();
        var transposed = new double[dim * items];
        for (var i = 0; i < items; i++)
        {
            for (var d = 0; d < dim; d++)
            {
                transposed[(d * items) + i] = rows[i][d];
            }
        }

        var result = new double[items];
        PreferenceKernel.DotAll(user, transposed, items, result);
        for (var i = 0; i < items; i++)
        {
            var naive = 0.0;
            for (var d = 0; d < dim; d++)
            {
                naive += user[d] * rows[i][d];
            }

            BitConverter.DoubleToInt64Bits(result[i]).Should().Be(BitConverter.DoubleToInt64Bits(naive));
            DeterministicMath.Dot(user, rows[i]).Should().Be(naive);
        }
    }
}
