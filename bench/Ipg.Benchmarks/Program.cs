using System.Globalization;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Ipg.Benchmarks -- --filter '*Scoring*'
// dotnet run -c Release --project bench/Ipg.Benchmarks -- --encoder-stopwatch [rounds]   (per-call medians, see EncoderKernelStopwatch)
if (args is ["--encoder-stopwatch", .. var rest])
{
    Ipg.Benchmarks.EncoderKernelStopwatch.Run(rest is [var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 10);
    return;
}

// dotnet run -c Release --project bench/Ipg.Benchmarks -- --compact-exactness [users] [targets] [N,N,...]   (see CompactExactness)
if (args is ["--compact-exactness", .. var options])
{
    int users = options.Length > 0 ? int.Parse(options[0], CultureInfo.InvariantCulture) : 100;
    int targets = options.Length > 1 ? int.Parse(options[1], CultureInfo.InvariantCulture) : 10;
    int[] sizes = options.Length > 2 ? [.. options[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [100_000, 1_000_000];
    Ipg.Benchmarks.CompactExactness.Run(users, targets, sizes);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Ipg.Benchmarks.ScoringBenchmarks).Assembly).Run(args);
