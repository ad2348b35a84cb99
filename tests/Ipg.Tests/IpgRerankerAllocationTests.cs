using Ipg.Encoders;
using Ipg.Guidance;
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

    [Fact]
    public void Every_guidance_model_target_kind_and_strength_allocates_nothing_in_steady_state()
    {
        var items = TestData.RandomTable(3533, 48, seed: 2);
        var encoder = new InMemoryEncoder(items, maxHistoryLength: 70);
        int[] history = Enumerable.Range(0, 40).Select(i => 1 + (i * 37 % 3533)).ToArray();
        var user = new float[48];
        encoder.Encode(history, user);
        var dest = new RankedItem[10];
        int[] excluded = [3, 5, 8];
        foreach (var model in new IGuidanceModel[] { LinearGuidance.Default, LinearGuidance.Absolute(0.4f), LinearGuidance.Affine(0.9, 4.7), CosineGuidance.Instance, new ExactLookAheadGuidance(LinearGuidance.Default, 20) })
        {
            var reranker = new IpgReranker(encoder, new IpgOptions { Strength = 1f, Guidance = model });
            var item = reranker.PrepareTarget(7);
            var campaign = reranker.PrepareCampaign([new WeightedItem(7, 1f), new WeightedItem(70, 0.5f), new WeightedItem(700, 2f)]);
            void Round()
            {
                reranker.Recommend(history, item, dest, excluded);
                reranker.Recommend(history, campaign, dest, excluded, strength: 0.7f);
                reranker.RerankCatalogue(user, campaign, dest, excluded, strength: 0.3f);
            }

            SteadyStateAllocation(Round).Should().Be(0, model.Name);
        }
    }

    [Fact]
    public void The_compact_catalogue_path_allocates_nothing_in_steady_state()
    {
        var plain = TestData.RandomTable(20_000, 48, seed: 4);
        var biases = Enumerable.Range(0, 20_001).Select(i => i * 1e-4f).ToArray();
        foreach (var items in new[] { plain, new ItemEmbeddingTable(20_000, 48, plain.Rows, biases) })
        {
            var encoder = new InMemoryEncoder(items, maxHistoryLength: 70);
            var compact = new CompactItemTable(items);
            int[] history = Enumerable.Range(0, 40).Select(i => 1 + (i * 37 % 20_000)).ToArray();
            var user = new float[48];
            encoder.Encode(history, user);
            var dest = new RankedItem[10];
            var batch = new RankedItem[10];
            var counts = new int[1];
            foreach (var model in new IGuidanceModel[] { CosineGuidance.Instance, LinearGuidance.Default })
            {
                var reranker = new IpgReranker(encoder, new IpgOptions { Guidance = model, CompactTable = compact });
                var target = reranker.PrepareTarget(7);
                var (minId, _) = target.TermExtremes(model is CosineGuidance ? TargetTerm.Cosines : TargetTerm.Dots);
                int[] excluded = [3, 5, minId];
                void Round()
                {
                    reranker.RerankCatalogue(user, target, dest, excluded);
                    reranker.RerankCatalogue(user, target, dest, excluded, strength: 0f);
                    reranker.RerankCatalogue(user, target, dest, strength: 1f);
                    reranker.Recommend(history, target, dest, excluded);
                }

                SteadyStateAllocation(Round).Should().Be(0, model.Name);
            }
        }
    }

    [Theory]
    [InlineData(SasRecKernel.Managed)]
    [InlineData(SasRecKernel.OnnxRuntime)]
    public void The_exact_look_ahead_over_the_default_model_allocates_nothing_in_steady_state(SasRecKernel kernel)
    {
        // The paper-size SASRec: one batched encode of M = 20 extended histories a request (ONNX Runtime: a pooled
        // 20-row IoBinding context; managed kernel: sequential rows).
        using var encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { Kernel = kernel, IntraOpThreads = 1 });
        var reranker = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, 20) });
        var target = reranker.PrepareTarget(2277);
        int[] history = [1772, 1632, 609, 2843, 3222, 3049, 546, 236];
        var dest = new RankedItem[10];
        SteadyStateAllocation(() => reranker.Recommend(history, target, dest, history)).Should().Be(0);
    }

    /// <summary>
    /// Bytes allocated on this thread by 100 calls after a warm-up, the least of three windows: an allocation per call
    /// shows in every window, while a one-off elsewhere in the runtime (a pool refill while other tests run in
    /// parallel, tiered compilation) cannot make the check flaky.
    /// </summary>
    private static long SteadyStateAllocation(Action call)
    {
        for (int i = 0; i < 30; i++)
        {
            call();
        }

        long least = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                call();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
