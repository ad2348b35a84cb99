// The xunit collections shared by the test projects that run process-wide measurements (linked into each).
namespace Ipg.Tests.Reliability
{
    /// <summary>Runs alone (no other test class in parallel), so that process-wide memory readings mean something.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SerialReliabilityCollection
    {
        public const string Name = "Serial reliability";
    }
}

namespace Ipg.Tests.Diagnostics
{
    /// <summary>Tests that listen to the process-wide meter and activity source, or count allocations, run alone.</summary>
    [CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
    public sealed class TelemetryCollection;
}
