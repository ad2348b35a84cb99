[assembly: System.CLSCompliant(false)]

// The benchmarks measure the internal scoring kernels against their alternatives (bench/Ipg.Benchmarks).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Ipg.Benchmarks")]
