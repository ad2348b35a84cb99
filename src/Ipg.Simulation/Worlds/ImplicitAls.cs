using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// Weighted alternating least squares for implicit feedback (Hu, Koren, Volinsky, "Collaborative Filtering for Implicit
/// Feedback Datasets", ICDM 2008): preference p_ui = 1 if u interacted with i, confidence c_ui = 1 + α·count_ui, minimise
/// Σ c_ui (p_ui − x_u·y_i)² + λ(Σ‖x_u‖² + Σ‖y_i‖²) over all pairs. Each sweep solves, for every user,
/// (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u with a Cholesky factorisation (MathNet.Numerics), then the same for items.
/// </summary>
/// <remarks>Deterministic: the initial factors come from a seeded stream, each row's solve depends only on the other side's
/// factors and runs the same arithmetic whatever thread executes it, so the parallel loop gives bit-identical results.</remarks>
internal static class ImplicitAls
{
    /// <summary>Fits user factors (users × d) and item factors (items × d), row-major.</summary>
    /// <param name="histories">Per user, 0-based item indices (repeats count).</param>
    /// <param name="items">Number of items.</param>
    /// <param name="options">Dimension, iterations, λ, α and seed.</param>
    /// <param name="progress">Called after each sweep with the 1-based sweep number.</param>
    /// <param name="cancellationToken">Checked between rows.</param>
    public static (double[] Users, double[] Items) Fit(
        IReadOnlyList<int[]> histories, int items, WorldBuildOptions options, Action<int>? progress, CancellationToken cancellationToken)
    {
        var d = options.Dimension;
        var users = histories.Count;
        var byUser = Sparse.FromRows(histories, items);
        var byItem = byUser.Transpose(items);
        var userFactors = new double[users * d];
        var itemFactors = new double[items * d];
        var rng = RandomStreams.Create(options.Seed, WorldRandomPurpose.FactorInit, 0, 0);
        var scale = 1.0 / Math.Sqrt(d);
        for (var k = 0; k < itemFactors.Length; k++)
        {
            itemFactors[k] = scale * (rng.NextDouble() - 0.5);
        }

        for (var sweep = 1; sweep <= options.Iterations; sweep++)
        {
            Solve(byUser, itemFactors, userFactors, d, options, cancellationToken);
            Solve(byItem, userFactors, itemFactors, d, options, cancellationToken);
            progress?.Invoke(sweep);
        }

        return (userFactors, itemFactors);
    }

    /// <summary>One half-sweep: every row of <paramref name="target"/> from the fixed factors <paramref name="fixedFactors"/>.</summary>
    private static void Solve(Sparse rows, double[] fixedFactors, double[] target, int d, WorldBuildOptions options, CancellationToken cancellationToken)
    {
        // YᵀY, computed once per half-sweep in a fixed order.
        var gram = new double[d * d];
        var count = fixedFactors.Length / d;
        for (var j = 0; j < count; j++)
        {
            var y = fixedFactors.AsSpan(j * d, d);
            for (var a = 0; a < d; a++)
            {
                var ya = y[a];
                for (var b = 0; b <= a; b++)
                {
                    gram[(a * d) + b] += ya * y[b];
                }
            }
        }

        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(
            0,
            rows.RowCount,
            parallel,
            () => (A: new double[d * d], B: new double[d]),
            (r, _, scratch) =>
            {
                var a = scratch.A;
                var b = scratch.B;
                Array.Copy(gram, a, a.Length);
                Array.Clear(b);
                for (var k = rows.Start[r]; k < rows.Start[r + 1]; k++)
                {
                    var y = fixedFactors.AsSpan(rows.Column[k] * d, d);
                    var c = 1.0 + (options.Alpha * rows.Count[k]);
                    var extra = c - 1.0;
                    for (var p = 0; p < d; p++)
                    {
                        var w = extra * y[p];
                        b[p] += c * y[p];
                        for (var q = 0; q <= p; q++)
                        {
                            a[(p * d) + q] += w * y[q];
                        }
                    }
                }

                // Mirror the lower triangle and add λI: MathNet reads the full (column-major) matrix.
                for (var p = 0; p < d; p++)
                {
                    a[(p * d) + p] += options.Regularization;
                    for (var q = 0; q < p; q++)
                    {
                        a[(q * d) + p] = a[(p * d) + q];
                    }
                }

                var x = DenseMatrix.OfColumnMajor(d, d, a).Cholesky().Solve(DenseVector.OfArray(b));
                x.AsArray().AsSpan().CopyTo(target.AsSpan(r * d, d));
                return scratch;
            },
            _ => { });
    }

    /// <summary>Compressed sparse rows of interaction counts.</summary>
    private sealed class Sparse
    {
        public required int[] Start { get; init; }

        public required int[] Column { get; init; }

        public required int[] Count { get; init; }

        public int RowCount => Start.Length - 1;

        public static Sparse FromRows(IReadOnlyList<int[]> rows, int columns)
        {
            var start = new int[rows.Count + 1];
            var column = new List<int>();
            var count = new List<int>();
            var seen = new int[columns];
            var order = new List<int>();
            for (var r = 0; r < rows.Count; r++)
            {
                order.Clear();
                foreach (var c in rows[r])
                {
                    if (seen[c]++ == 0)
                    {
                        order.Add(c);
                    }
                }

                order.Sort();
                foreach (var c in order)
                {
                    column.Add(c);
                    count.Add(seen[c]);
                    seen[c] = 0;
                }

                start[r + 1] = column.Count;
            }

            return new Sparse { Start = start, Column = [.. column], Count = [.. count] };
        }

        public Sparse Transpose(int columns)
        {
            var start = new int[columns + 1];
            foreach (var c in Column)
            {
                start[c + 1]++;
            }

            for (var c = 0; c < columns; c++)
            {
                start[c + 1] += start[c];
            }

            var next = (int[])start.Clone();
            var column = new int[Column.Length];
            var count = new int[Column.Length];
            for (var r = 0; r < RowCount; r++)
            {
                for (var k = Start[r]; k < Start[r + 1]; k++)
                {
                    var slot = next[Column[k]]++;
                    column[slot] = r;
                    count[slot] = Count[k];
                }
            }

            return new Sparse { Start = start, Column = column, Count = count };
        }
    }
}
