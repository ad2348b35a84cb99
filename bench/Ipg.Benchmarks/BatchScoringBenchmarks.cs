using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Ipg.Benchmarks;

/// <summary>
/// Many users scored at once (a guidance round at paper scale: 6,034 users × 3,533 items, d = 48, about 2 GFLOP):
/// all users' logits <c>U·Eᵀ</c>, one thread. Is one GEMM per batch faster than a mat-vec per user?
/// <c>PerUserDot</c> = one <c>TensorPrimitives.Dot</c> per (user, item) — the baseline; <c>PerUserBlocked</c> = the
/// library's blocked row-dot kernel per user (what the re-ranker and the policies run); <c>GemmMathNet</c> =
/// MathNet.Numerics' managed matrix product <c>U·Eᵀ</c> in one call.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 7)]
public class BatchScoringBenchmarks
{
    private float[] _users = null!;
    private float[] _rows = null!;
    private float[] _logits = null!;
    private Matrix<float> _u = null!;
    private Matrix<float> _e = null!;
    private Matrix<float> _result = null!;

    /// <summary>Users scored in one batch.</summary>
    [Params(6_034)]
    public int Users { get; set; }

    /// <summary>Catalogue size N.</summary>
    [Params(3_533)]
    public int N { get; set; }

    /// <summary>Embedding dimension d.</summary>
    [Params(48, 128)]
    public int D { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Control.UseSingleThread();
        var random = new Random(42);
        _rows = Enumerable.Range(0, N * D).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _users = Enumerable.Range(0, Users * D).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _logits = new float[Users * N];
        _u = Matrix<float>.Build.Dense(Users, D, (r, c) => _users[(r * D) + c]);
        _e = Matrix<float>.Build.Dense(N, D, (r, c) => _rows[(r * D) + c]);
        _result = Matrix<float>.Build.Dense(Users, N);
    }

    /// <summary>One <c>TensorPrimitives.Dot</c> per (user, item).</summary>
    [Benchmark(Baseline = true)]
    public float PerUserDot()
    {
        for (int u = 0; u < Users; u++)
        {
            var user = _users.AsSpan(u * D, D);
            var output = _logits.AsSpan(u * N, N);
            for (int i = 0; i < N; i++)
            {
                output[i] = TensorPrimitives.Dot(user, _rows.AsSpan(i * D, D));
            }
        }

        return _logits[^1];
    }

    /// <summary>The library's blocked kernel, one mat-vec per user.</summary>
    [Benchmark]
    public float PerUserBlocked()
    {
        for (int u = 0; u < Users; u++)
        {
            DotKernels.RowDots(_users.AsSpan(u * D, D), _rows, _logits.AsSpan(u * N, N));
        }

        return _logits[^1];
    }

    /// <summary>MathNet.Numerics' managed GEMM, <c>U·Eᵀ</c> in one call (single-threaded).</summary>
    [Benchmark]
    public float GemmMathNet()
    {
        _u.TransposeAndMultiply(_e, _result);
        return _result[Users - 1, N - 1];
    }
}
