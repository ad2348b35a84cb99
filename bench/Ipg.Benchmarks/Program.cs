using System.Globalization;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Ipg.Benchmarks -- --filter '*Scoring*'
// dotnet run -c Release --project bench/Ipg.Benchmarks -- --encoder-stopwatch [rounds]   (per-call medians, see EncoderKernelStopwatch)
if (args is ["--encoder-stopwatch", .. var rest])
{
    Ipg.Benchmarks.EncoderKernelStopwatch.Run(rest is [var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 10);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Ipg.Benchmarks.ScoringBenchmarks).Assembly).Run(args);
