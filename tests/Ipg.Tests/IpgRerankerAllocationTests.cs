using Ipg.Encoders;
using Ipg.Tests.Diagnostics;

namespace Ipg.Tests;

/// <summary>
/// Allocation checks for <see cref="IpgReranker"/>; in the telemetry collection so that no test's
/// metric listener runs (and allocates) on this thread meanwhile.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public class IpgRerankerAllocationTests
{
    [Fact]
    public void Steady_state_reranks_allocate_nothing()
    {
        var items = TestData.RandomTable(3533, 48, seed: 1);
        var reranker = new IpgReranker(new InMemoryEncoder(items));
        var target = reranker.PrepareTarget(7);
        var user = TestData.RandomVector(48, new Random(1));
        var dest = new RankedItem[10];
        int[] candidates = Enumerable.Range(1, 500).ToArray();
        int[] excluded = [3, 5, 8];

        for (int i = 0; i < 50; i++)
        {
            reranker.RerankCatalogue(user, target, dest, excluded);
            reranker.RerankCandidates(user, target, candidates, dest, excluded);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            reranker.RerankCatalogue(user, target, dest, excluded);
            reranker.RerankCandidates(user, target, candidates, dest, excluded);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().Be(0);
    }
}
