using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// The default ONNX SASRec (the paper's size: d = 48, L = 70, 4 blocks, 8 heads) encoding full-length histories:
/// one <c>EncodeBatch</c> of <see cref="Batch"/> users in a single ONNX Runtime call, with <see cref="Threads"/>
/// intra-op threads. Divide Mean by Batch for the cost per user.
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

    /// <summary>ONNX Runtime intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = Threads, MaxBatchSize = 512 });
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
