using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// One user at batch 1 on the default model (d = 48, L = 70, 4 blocks, 8 heads, 3,533 items), one thread:
/// the encode of a full-length history with ONNX Runtime and with the managed kernel
/// (<see cref="SasRecKernel.Managed"/>), and a whole request (encode, then IPG's catalogue re-rank to the
/// top 10) with each.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class EncoderKernelBenchmarks
{
    private OnnxSasRecEncoder _ort = null!;
    private OnnxSasRecEncoder _managed = null!;
    private IpgReranker _ortReranker = null!;
    private IpgReranker _managedReranker = null!;
    private GuidanceTarget _target = null!;
    private GuidanceTarget _managedTarget = null!;
    private int[] _history = null!;
    private float[] _user = null!;
    private RankedItem[] _top = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ort = SasRecDefaultModel.Load(new OnnxSasRecEncoderOptions { IntraOpThreads = 1 });
        _managed = SasRecDefaultModel.Load(new OnnxSasRecEncoderOptions { IntraOpThreads = 1, Kernel = SasRecKernel.Managed });
        var random = new Random(7);
        _history = [.. Enumerable.Range(0, _ort.MaxHistoryLength).Select(_ => random.Next(1, _ort.ItemCount + 1))];
        _user = new float[_ort.Dimension];
        _top = new RankedItem[10];
        _ortReranker = new IpgReranker(_ort, IpgOptions.Paper);
        _managedReranker = new IpgReranker(_managed, IpgOptions.Paper);
        _target = _ortReranker.PrepareTarget(7);
        _managedTarget = _managedReranker.PrepareTarget(7);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort.Dispose();
        _managed.Dispose();
    }

    /// <summary>ONNX Runtime, one full-length history.</summary>
    [Benchmark(Baseline = true)]
    public float EncodeOnnxRuntime()
    {
        _ort.Encode(_history, _user);
        return _user[0];
    }

    /// <summary>The managed kernel, the same history.</summary>
    [Benchmark]
    public float EncodeManaged()
    {
        _managed.Encode(_history, _user);
        return _user[0];
    }

    /// <summary>A request with ONNX Runtime: encode, then re-rank the catalogue to the top 10.</summary>
    [Benchmark]
    public int RequestOnnxRuntime()
    {
        _ort.Encode(_history, _user);
        return _ortReranker.RerankCatalogue(_user, _target, _top);
    }

    /// <summary>A request with the managed kernel.</summary>
    [Benchmark]
    public int RequestManaged()
    {
        _managed.Encode(_history, _user);
        return _managedReranker.RerankCatalogue(_user, _managedTarget, _top);
    }
}
