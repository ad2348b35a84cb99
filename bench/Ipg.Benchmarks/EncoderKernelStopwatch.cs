using System.Diagnostics;
using System.Globalization;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// A Stopwatch comparison of the two SASRec kernels for a shared, busy machine, where BenchmarkDotNet's
/// per-iteration means absorb the time the scheduler gives to other processes: every call is timed on its
/// own, the kernels alternate in rounds of 500 calls, and the per-call median (p50) and p90 are reported.
/// Run: <c>dotnet run -c Release --project bench/Ipg.Benchmarks -- --encoder-stopwatch [rounds]</c>
/// (pin it to one core with <c>taskset -c 1</c>).
/// </summary>
public static class EncoderKernelStopwatch
{
    public static void Run(int rounds)
    {
        using var ort = SasRecDefaultModel.Load(new OnnxSasRecEncoderOptions { IntraOpThreads = 1 });
        using var managed = SasRecDefaultModel.Load(new OnnxSasRecEncoderOptions { IntraOpThreads = 1, Kernel = SasRecKernel.Managed });
        var random = new Random(7);
        int[] full = [.. Enumerable.Range(0, ort.MaxHistoryLength).Select(_ => random.Next(1, ort.ItemCount + 1))];
        int[] shortHistory = full[..10];
        var user = new float[ort.Dimension];
        var top = new RankedItem[10];
        var ortReranker = new IpgReranker(ort, IpgOptions.Paper);
        var managedReranker = new IpgReranker(managed, IpgOptions.Paper);
        var ortTarget = ortReranker.PrepareTarget(7);
        var managedTarget = managedReranker.PrepareTarget(7);
        const int perRound = 500;
        var samples = new Dictionary<string, List<double>>();
        void Time(string name, Action call)
        {
            if (!samples.TryGetValue(name, out var list))
            {
                samples[name] = list = [];
            }

            for (int i = 0; i < perRound; i++)
            {
                long start = Stopwatch.GetTimestamp();
                call();
                list.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }

        for (int r = 0; r < rounds + 1; r++)
        {
            Time("Encode, ONNX Runtime, L = 70", () => ort.Encode(full, user));
            Time("Encode, managed, L = 70", () => managed.Encode(full, user));
            Time("Encode, ONNX Runtime, 10 items", () => ort.Encode(shortHistory, user));
            Time("Encode, managed, 10 items", () => managed.Encode(shortHistory, user));
            Time("Request (encode + top-10), ONNX Runtime", () =>
            {
                ort.Encode(full, user);
                ortReranker.RerankCatalogue(user, ortTarget, top);
            });
            Time("Request (encode + top-10), managed", () =>
            {
                managed.Encode(full, user);
                managedReranker.RerankCatalogue(user, managedTarget, top);
            });
        }

        Console.WriteLine("| call | p50 | p90 | min |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, list) in samples)
        {
            list.RemoveRange(0, perRound); // the first round warms up
            list.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {list[list.Count / 2]:F0} µs | {list[(int)(list.Count * 0.9)]:F0} µs | {list[0]:F0} µs |"));
        }
    }
}
