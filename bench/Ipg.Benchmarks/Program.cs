using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Ipg.Benchmarks -- --filter '*Scoring*'
BenchmarkSwitcher.FromAssembly(typeof(Ipg.Benchmarks.ScoringBenchmarks).Assembly).Run(args);
