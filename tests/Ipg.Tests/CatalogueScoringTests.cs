using Ipg.Encoders;

namespace Ipg.Tests;

/// <summary>
/// Catalogue logits go through a blocked kernel (eight rows at a time when d is a multiple of 8 and the CPU has
/// AVX2/FMA, <c>TensorPrimitives.Dot</c> otherwise and for the last rows). These shapes hit every branch: whole
/// blocks, a partial last block, fewer rows than a block, and dimensions the kernel does not take.
/// </summary>
public class CatalogueScoringTests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int d in new[] { 8, 16, 24, 48, 64, 128, 256, 5, 12, 50 })
        {
            foreach (int n in new[] { 1, 7, 8, 9, 15, 16, 17, 64, 3533 })
            {
                data.Add(n, d);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_item_gets_the_probability_of_its_own_dot_product(int n, int d)
    {
        var items = TestData.RandomTable(n, d, seed: (n * 1000) + d);
        var random = new Random(d);
        var user = TestData.RandomVector(d, random, scale: 4f / MathF.Sqrt(d));
        var reranker = new IpgReranker(new InMemoryEncoder(items));
        var ranked = new RankedItem[n];

        int written = reranker.RerankCatalogue(user, reranker.PrepareTarget(1), ranked);

        written.Should().Be(n);
        ranked.Select(r => r.ItemId).Order().Should().Equal(Enumerable.Range(1, n), "every item is scored exactly once");
        var userD = user.Select(x => (double)x).ToArray();
        foreach (var r in ranked)
        {
            double dot = NaiveReference.Dot(userD, items[r.ItemId].ToArray().Select(x => (double)x).ToArray());
            double expected = 1.0 / (1.0 + Math.Exp(-dot));
            Math.Abs(r.Probability - expected).Should().BeLessThan(2e-6, $"item {r.ItemId} of {n}, d = {d}: dot {dot}");
        }
    }

    [Theory]
    [InlineData(7, 8)]
    [InlineData(17, 12)]
    [InlineData(3533, 48)]
    public void A_per_item_bias_enters_every_logit_on_the_catalogue_and_on_candidates(int n, int d)
    {
        var plain = TestData.RandomTable(n, d, seed: n + d);
        var random = new Random(n);
        var biases = new float[n + 1];
        for (int i = 1; i <= n; i++)
        {
            biases[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var items = new ItemEmbeddingTable(n, d, plain.Rows, biases);
        var user = TestData.RandomVector(d, random, scale: 4f / MathF.Sqrt(d));
        var reranker = new IpgReranker(new InMemoryEncoder(items));
        var target = reranker.PrepareTarget(1);
        var ranked = new RankedItem[n];
        reranker.RerankCatalogue(user, target, ranked, strength: 0f).Should().Be(n);
        int[] candidates = [.. Enumerable.Range(1, n).Where(i => i % 3 != 0)];
        var some = new RankedItem[candidates.Length];
        reranker.RerankCandidates(user, target, candidates, some, strength: 0f).Should().Be(candidates.Length);

        var userD = user.Select(x => (double)x).ToArray();
        double Logit(int id) => NaiveReference.Dot(userD, items[id].ToArray().Select(x => (double)x).ToArray()) + biases[id];
        foreach (var r in ranked.Concat(some))
        {
            Math.Abs(r.Probability - (1.0 / (1.0 + Math.Exp(-Logit(r.ItemId))))).Should().BeLessThan(2e-6, $"item {r.ItemId}");
        }

        ranked.Select(r => r.ItemId).Should().Equal(Enumerable.Range(1, n).OrderByDescending(Logit).ThenBy(i => i), "λ = 0 ranks by the biased logit");
    }
}
