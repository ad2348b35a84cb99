using Ipg.Simulation.Worlds;
using MathNet.Numerics.LinearAlgebra;

namespace Ipg.Simulation.Tests.Worlds;

public class ImplicitAlsTests
{
    [Fact]
    public void The_last_item_half_sweep_solves_the_weighted_normal_equations_of_a_naive_dense_reference()
    {
        var rng = new Random(11);
        const int Users = 30, Items = 25;
        var histories = Enumerable.Range(0, Users).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.Next(Items)).ToArray()).ToArray();
        var options = WorldBuildOptions.Default with { Dimension = 4, Iterations = 3, Alpha = 5, Regularization = 0.3 };
        var (x, y) = ImplicitAls.Fit(histories, Items, options, null, CancellationToken.None);

        // Naive reference over the full dense matrices: for every item, (XᵀC_iX + λI) y_i = XᵀC_i p_i.
        var counts = new double[Users, Items];
        for (var u = 0; u < Users; u++)
        {
            foreach (var i in histories[u])
            {
                counts[u, i]++;
            }
        }

        var xm = Matrix<double>.Build.Dense(Users, 4, (r, c) => x[(r * 4) + c]);
        for (var i = 0; i < Items; i++)
        {
            var c = Matrix<double>.Build.DenseDiagonal(Users, Users, u => 1 + (options.Alpha * counts[u, i]));
            var p = Vector<double>.Build.Dense(Users, u => counts[u, i] > 0 ? 1 : 0);
            var a = (xm.Transpose() * c * xm) + (options.Regularization * Matrix<double>.Build.DenseIdentity(4));
            var expected = a.Solve(xm.Transpose() * c * p);
            for (var k = 0; k < 4; k++)
            {
                y[(i * 4) + k].Should().BeApproximately(expected[k], 1e-9);
            }
        }
    }

    [Fact]
    public void Sweeps_lower_the_weighted_loss_and_the_fit_is_deterministic_across_runs()
    {
        var rng = new Random(5);
        var histories = Enumerable.Range(0, 80).Select(_ => Enumerable.Range(0, 10).Select(_ => rng.Next(60)).ToArray()).ToArray();
        var options = WorldBuildOptions.Default with { Dimension = 6 };
        double Loss(int iterations)
        {
            var (x, y) = ImplicitAls.Fit(histories, 60, options with { Iterations = iterations }, null, CancellationToken.None);
            var loss = 0.0;
            for (var u = 0; u < 80; u++)
            {
                for (var i = 0; i < 60; i++)
                {
                    var count = histories[u].Count(j => j == i);
                    var pred = 0.0;
                    for (var k = 0; k < 6; k++)
                    {
                        pred += x[(u * 6) + k] * y[(i * 6) + k];
                    }

                    var target = count > 0 ? 1.0 : 0.0;
                    loss += (1 + (options.Alpha * count)) * (target - pred) * (target - pred);
                }
            }

            return loss + (options.Regularization * (x.Sum(v => v * v) + y.Sum(v => v * v)));
        }

        Loss(8).Should().BeLessThan(Loss(1));
        var a = ImplicitAls.Fit(histories, 60, options, null, CancellationToken.None);
        var b = ImplicitAls.Fit(histories, 60, options, null, CancellationToken.None);
        a.Users.Should().Equal(b.Users);
        a.Items.Should().Equal(b.Items);
    }
}
