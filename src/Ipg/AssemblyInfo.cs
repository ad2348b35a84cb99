[assembly: System.CLSCompliant(false)]

// The benchmarks measure the internal scoring kernels against their alternatives (bench/Ipg.Benchmarks).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Ipg.Benchmarks")]

// The coverage-guided fuzzer drives the managed model reader directly (bench/Ipg.Fuzz, docs/reliability.md "Hostile files").
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Ipg.Fuzz")]
