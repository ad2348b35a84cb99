using Ipg.Guidance;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Tests.Shared;

namespace Ipg.Tests;

public class IpgRerankerExactLookAheadTests
{
    private static readonly IpgOptions Exact = IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, 1000) };

    [Fact]
    public void With_a_mean_encoder_the_exact_move_is_linear_with_gamma_n_over_n_plus_one()
    {
        // ENC = mean of the history, so ENC(s ⊕ i) = (n·ê_u + ê_i)/(n + 1): the linear update with γ = n/(n + 1).
        var items = TestData.RandomTable(60, 9, seed: 12);
        var encoder = new InMemoryEncoder(items);
        var random = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            int[] history = Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(1, 61)).ToArray();
            float gamma = history.Length / (history.Length + 1f);
            var exact = new IpgReranker(encoder, Exact);
            var linear = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Increase(gamma) });
            var target = exact.PrepareTarget(random.Next(1, 61));

            var e = exact.Recommend(history, target, 60);
            var l = linear.Recommend(history, target, 60);

            e.Select(x => x.ItemId).Should().Equal(l.Select(x => x.ItemId));
            for (int i = 0; i < e.Length; i++)
            {
                e[i].Guidance.Should().BeApproximately(l[i].Guidance, 1e-5f);
                e[i].Score.Should().BeApproximately(l[i].Score, 1e-5f);
            }
        }
    }

    [Fact]
    public void Hand_case_with_a_last_item_encoder()
    {
        // ENC(s) = embedding of the last item. History [1] → ê_u = (1, 0); target 2 = (0, 1); ê_j·ê_u = 0.
        // Exact: ê_u' = ê_i, so g = ê_j·ê_i − 0 = [0, 1, 1, 0.5] for items 1..4;
        // logits ê_u·ê_i = [1, 0, 1, −1], p̂ = [0.731059, 0.5, 0.731059, 0.268941];
        // r = [0, 0.5, 0.731059, 0.134471] → 3, 2, 4, 1.
        var encoder = new InMemoryEncoder(TestData.HandTable(), representation: static (h, t, dest) =>
        {
            if (h.IsEmpty)
            {
                dest.Clear();
            }
            else
            {
                t[h[^1]].CopyTo(dest);
            }
        });
        var reranker = new IpgReranker(encoder, Exact);

        var ranked = reranker.Recommend([1], reranker.PrepareTarget(2), 4);

        ranked.Select(x => x.ItemId).Should().Equal(3, 2, 4, 1);
        ranked.Select(x => x.Guidance).Should().Equal([1f, 1f, 0.5f, 0f], (a, b) => Math.Abs(a - b) < 1e-6f);
        ranked.Select(x => x.Score).Should().Equal([0.731059f, 0.5f, 0.134471f, 0f], (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Only_the_shortlist_is_re_encoded_and_exclusions_hold()
    {
        var counting = new CountingEncoder(new InMemoryEncoder(TestData.RandomTable(100, 6, seed: 2)));
        var reranker = new IpgReranker(counting, IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, 7) });
        var target = reranker.PrepareTarget(5);

        var ranked = reranker.Recommend([1, 2, 3], target, 3, excludedItems: [1, 2, 3]);

        ranked.Should().HaveCount(3);
        ranked.Select(x => x.ItemId).Should().NotIntersectWith([1, 2, 3]);
        counting.BatchSizes.Should().Equal(7);
        counting.LastBatch.Should().OnlyContain(h => h.Length == 4 && h[0] == 1 && h[1] == 2 && h[2] == 3);
    }

    [Fact]
    public void Exact_mode_works_through_the_policy_and_embedding_only_calls_use_the_shortlist_model()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(40, 5, seed: 3));
        var reranker = new IpgReranker(encoder, Exact);
        var target = reranker.PrepareTarget(9);
        int[][] histories = [[1, 2], [3], []];
        var embeddings = new float[15];
        for (int u = 0; u < 3; u++)
        {
            encoder.Encode(histories[u], embeddings.AsSpan(u * 5, 5));
        }

        var context = new PolicyContext(encoder, target, histories.Select(h => (ReadOnlyMemory<int>)h).ToArray(), embeddings, slateSize: 2);
        var slates = new int[6];
        new IpgPolicy(reranker).Recommend(context, slates);
        for (int u = 0; u < 3; u++)
        {
            slates.AsSpan(u * 2, 2).ToArray().Should().Equal(reranker.Recommend(histories[u], target, 2).Select(x => x.ItemId));
        }

        // Without a history the exact model scores with its shortlist model: the same lists as that model alone.
        var shortlistOnly = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Default });
        var a = new RankedItem[4];
        var b = new RankedItem[4];
        reranker.RerankCatalogue(embeddings.AsSpan(0, 5), target, a);
        shortlistOnly.RerankCatalogue(embeddings.AsSpan(0, 5), target, b);
        a.Should().Equal(b);
        reranker.RerankCandidates(embeddings.AsSpan(0, 5), target, [1, 4, 9], a.AsSpan(0, 3));
        shortlistOnly.RerankCandidates(embeddings.AsSpan(0, 5), target, [1, 4, 9], b.AsSpan(0, 3));
        a.Should().Equal(b);
        var batchA = new RankedItem[6];
        var batchB = new RankedItem[6];
        reranker.RerankBatch(embeddings, target, 2, batchA, new int[3]);
        shortlistOnly.RerankBatch(embeddings, target, 2, batchB, new int[3]);
        batchA.Should().Equal(batchB);

        // With the history passed to RerankCandidates it re-encodes, as Recommend does.
        var withHistory = new RankedItem[2];
        reranker.RerankCandidates(embeddings.AsSpan(0, 5), target, Enumerable.Range(1, 40).ToArray(), withHistory, history: histories[0]);
        withHistory.Should().Equal(reranker.Recommend(histories[0], target, 2));
        FluentActions.Invoking(() => new ExactLookAheadGuidance(LinearGuidance.Default, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("candidates");
        FluentActions.Invoking(() => new ExactLookAheadGuidance(LinearGuidance.Default, 5, (GuidanceForm)7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("form");
        FluentActions.Invoking(() => GuidanceModels.Create(GuidanceForm.Increase, 0.8f, (LookAheadMode)5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("lookAhead");
    }

    private sealed class CountingEncoder(InMemoryEncoder inner) : DelegatingEncoder(inner)
    {
        public List<int> BatchSizes { get; } = [];

        public List<int[]> LastBatch { get; private set; } = [];

        public override void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
        {
            BatchSizes.Add(histories.Count);
            LastBatch = histories.Select(h => h.ToArray()).ToList();
            Inner.EncodeBatch(histories, destination, cancellationToken);
        }
    }
}
