using System.Diagnostics;
using Ipg.Encoders;
using Xunit.Abstractions;

namespace Ipg.Tests.Reliability;

/// <summary>
/// Load on the shared ONNX encoder (docs/reliability.md, "Properties and load"): many threads through one session
/// give the sequential results bit for bit, and memory stays flat over many calls. Scaled down to run in seconds;
/// the 1,000,000-call soak is <c>bench/Ipg.Soak</c>.
/// </summary>
[Collection(SerialReliabilityCollection.Name)]
public class OnnxSasRecEncoderLoadTests(ITestOutputHelper output)
{
    [Fact]
    public void Eight_threads_rerank_through_one_onnx_encoder_with_results_identical_to_sequential()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxSasRecEncoderBadInputTests.TinyPath);
        var reranker = new IpgReranker(encoder, IpgOptions.Default);
        int n = encoder.ItemCount;
        var random = new Random(11);
        const int inputs = 200;
        var histories = Enumerable.Range(0, inputs).Select(_ => Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(1, n + 1)).ToArray()).ToArray();
        var targets = Enumerable.Range(1, 8).Select(t => reranker.PrepareTarget(t * 7)).ToArray();

        long Fingerprint(int input)
        {
            var ranked = reranker.Recommend(histories[input], targets[input % targets.Length], 10, excludedItems: histories[input]);
            long h = 17;
            foreach (var r in ranked)
            {
                h = (h * 31) + r.ItemId;
                h = (h * 31) + BitConverter.SingleToInt32Bits(r.Score);
            }

            return h;
        }

        var sequential = Enumerable.Range(0, inputs).Select(Fingerprint).ToArray();

        // 8 threads × 2,500 = 20,000 encode-and-rerank requests: about 2–4 s on the 2-core CI VM
        // (IpgRerankerPropertyTests does 8 × 100,000 through the in-memory encoder).
        const int threads = 8;
        const int perThread = 2_500;
        int mismatches = 0;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                int input = ((i * 7) + (t * 13)) % inputs;
                if (Fingerprint(input) != sequential[input])
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        output.WriteLine($"{threads} × {perThread} requests in {watch.Elapsed.TotalSeconds:F1} s ({threads * perThread / watch.Elapsed.TotalSeconds:F0}/s)");

        mismatches.Should().Be(0);
        Enumerable.Range(0, inputs).Select(Fingerprint).Should().Equal(sequential, "the encoder answers as before the load");
    }

    [Fact]
    public void Steady_state_onnx_encode_allocates_nothing()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxSasRecEncoderBadInputTests.TinyPath);
        var histories = Enumerable.Range(0, 64).Select(i => Enumerable.Range(1, i % 30).Select(k => ((k * 13) + i) % encoder.ItemCount + 1).ToArray()).ToArray();
        var user = new float[encoder.Dimension];
        for (int i = 0; i < 5_000; i++)
        {
            encoder.Encode(histories[i & 63], user);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2_000; i++)
        {
            encoder.Encode(histories[i & 63], user);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().Be(0, "a single-row Encode reuses a pooled run context (RunOptions, IoBinding, tensors over pinned arrays)");
    }

    [Fact]
    public void Memory_stays_flat_over_many_onnx_encode_calls()
    {
        // The host step (docs/reliability.md, "Telemetry: a host step"), set for the test host by tests/test.runsettings:
        // without it ONNX Runtime's upload client grows private memory in steps and this bound means nothing.
        if (OperatingSystem.IsLinux())
        {
            Environment.GetEnvironmentVariable("ORT_DISABLE_TELEMETRY").Should().Be("1", "tests/test.runsettings sets it for the test host");
        }

        using var encoder = OnnxSasRecEncoder.Load(OnnxSasRecEncoderBadInputTests.TinyPath);
        int d = encoder.Dimension;
        var histories = Enumerable.Range(0, 64).Select(i => Enumerable.Range(1, i % 30).Select(k => ((k * 13) + i) % encoder.ItemCount + 1).ToArray()).ToArray();
        var user = new float[d];
        var batch = new float[8 * d];
        var batchInput = histories.Take(8).Select(h => (ReadOnlyMemory<int>)h).ToArray();

        void Calls(int count)
        {
            for (int i = 0; i < count; i++)
            {
                if ((i & 7) == 7)
                {
                    encoder.EncodeBatch(batchInput, batch);
                }
                else
                {
                    encoder.Encode(histories[i & 63], user);
                }
            }
        }

        // Warm up: ONNX Runtime's arena, the array pool's buckets, JIT tiers.
        Calls(20_000);
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long privateBefore = OnnxSasRecEncoderBadInputTests.Settle();

        const int calls = 30_000;
        var watch = Stopwatch.StartNew();
        Calls(calls);
        watch.Stop();
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        long privateAfter = OnnxSasRecEncoderBadInputTests.Settle();
        output.WriteLine($"{calls} calls in {watch.Elapsed.TotalSeconds:F1} s; managed {managedBefore >> 10} → {managedAfter >> 10} KB; private {privateBefore >> 20} → {privateAfter >> 20} MB");

        // Managed: 5 % of the starting figure, plus 256 KB of slack for the heap's own bookkeeping at this small size.
        // Private: 3 % (about 6 MB of a 200 MB test host). With ONNX Runtime's telemetry off and no per-call garbage,
        // the window measures 201 → 201 MB; what is left is one-off steps of the tiered JIT (docs/reliability.md).
        managedAfter.Should().BeLessThan(managedBefore + (managedBefore / 20) + (256 << 10));
        privateAfter.Should().BeLessThan(privateBefore + (privateBefore * 3 / 100));
    }
}
