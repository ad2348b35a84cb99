using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// The default ONNX SASRec (the paper's size: d = 48, L = 70, 4 blocks, 8 heads) encoding full-length histories:
/// one <c>EncodeBatch</c> of <see cref="Batch"/> users. ONNX Runtime: one call with <see cref="Threads"/> intra-op
/// threads. Managed kernel: rows one by one, the batch split into <see cref="Threads"/> chunks run in parallel.
/// Divide by Batch for the cost per user.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class EncoderBenchmarks
{
    private OnnxSasRecEncoder _encoder = null!;
    private ReadOnlyMemory<int>[] _histories = null!;
    private float[] _output = null!;

    /// <summary>Users per call.</summary>
    [Params(1, 8, 64, 512)]
    public int Batch { get; set; }

    /// <summary>Threads: ONNX Runtime intra-op threads, or the managed kernel's parallel chunks.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The forward pass.</summary>
    [Params(SasRecKernel.OnnxRuntime, SasRecKernel.Managed)]
    public SasRecKernel Kernel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _encoder = SasRecDefaultModel.Load(Kernel == SasRecKernel.OnnxRuntime
            ? OnnxSasRecEncoderOptions.Default with { IntraOpThreads = Threads, MaxBatchSize = 512 }
            : OnnxSasRecEncoderOptions.Default with { Kernel = Kernel, BatchParallelism = Threads, MaxBatchSize = Math.Max(1, Batch / Threads) });
        _histories = BenchData.Histories(Batch, _encoder.MaxHistoryLength, _encoder.ItemCount, seed: 42);
        _output = new float[Batch * _encoder.Dimension];
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>One call, <see cref="Batch"/> users.</summary>
    [Benchmark]
    public float EncodeBatch()
    {
        _encoder.EncodeBatch(_histories, _output);
        return _output[0];
    }
}
