using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Tests.Guidance;

/// <summary>Every built-in guidance model, every target kind and strength, against the naive double-precision reference.</summary>
public class GuidanceModelTests
{
    public static TheoryData<string> ModelKinds() => ["increase", "absolute", "affine", "cosine"];

    [Theory]
    [MemberData(nameof(ModelKinds))]
    public void Random_shapes_targets_and_strengths_agree_with_the_naive_reference(string kind)
    {
        // A fixed seed per model (string.GetHashCode is randomised per process).
        var random = new Random(20261201 + Array.IndexOf(["increase", "absolute", "affine", "cosine"], kind));
        var policies = Enum.GetValues<NegativeGuidancePolicy>();
        for (int @case = 0; @case < 600; @case++)
        {
            int n = random.Next(1, 50);
            int d = random.Next(1, 17);
            var items = TestData.RandomTable(n, d, seed: random.Next());
            float gamma = (float)Math.Round(random.NextDouble() * 0.95, 3);
            double a = Math.Round(0.5 + random.NextDouble(), 3);
            double b = Math.Round(0.1 + (3 * random.NextDouble()), 3);
            var (model, naive) = kind switch
            {
                "increase" => ((IGuidanceModel)LinearGuidance.Increase(gamma), NaiveReference.Model.Increase(gamma)),
                "absolute" => (LinearGuidance.Absolute(gamma), NaiveReference.Model.Absolute(gamma)),
                "affine" => (LinearGuidance.Affine(a, b), NaiveReference.Model.Affine((float)a, (float)b)),
                _ => (CosineGuidance.Instance, NaiveReference.Model.Cosine),
            };
            var policy = policies[random.Next(policies.Length)];
            float strength = new[] { 0f, 0.3f, 0.9f, 1f, 1f }[random.Next(5)];
            var reranker = new IpgReranker(new InMemoryEncoder(items), new IpgOptions { Strength = 1f, Guidance = model, NegativeGuidance = policy });
            var (target, naiveTarget) = RandomTarget(reranker, items, random);
            var user = TestData.RandomVector(d, random, scale: 3f);
            int k = random.Next(1, n + 2);
            var excluded = Enumerable.Range(0, random.Next(0, n)).Select(_ => random.Next(1, n + 1)).ToArray();
            int[]? candidates = random.Next(2) == 0 ? null : Enumerable.Range(0, random.Next(0, 2 * n)).Select(_ => random.Next(1, n + 1)).ToArray();

            var dest = new RankedItem[k];
            int written = candidates is null
                ? reranker.RerankCatalogue(user, target, dest, excluded, strength)
                : reranker.RerankCandidates(user, target, candidates, dest, excluded, strength);
            var all = NaiveReference.Rank(items, user, naiveTarget, naive, policy, candidates, excluded.ToHashSet(), int.MaxValue, strength);
            var expected = all.Take(k).ToList();

            string Describe() => $"case {@case}: {model.Name}, {target.Description}, λ={strength}, {policy}, n={n} d={d} k={k}";
            written.Should().Be(expected.Count, Describe());
            for (int i = 0; i < written; i++)
            {
                // Looked up in the whole ranking: at a near-tie the float path may pick a neighbour just below the cut.
                var reference = all.Find(e => e.ItemId == dest[i].ItemId);
                reference.Should().NotBeNull(Describe());
                if (dest[i].ItemId != expected[i].ItemId)
                {
                    // Only a near-tie of the keys may swap two neighbours (float SIMD against double).
                    Math.Abs(expected[i].Key - reference!.Key).Should().BeLessThan(1e-4 * Math.Max(1, Math.Abs(expected[i].Key)), Describe());
                }

                dest[i].Probability.Should().BeApproximately((float)reference!.Probability, 1e-5f, Describe());
                dest[i].Guidance.Should().BeApproximately((float)reference.Guidance, 2e-4f * Math.Max(1f, Math.Abs((float)reference.Guidance)), Describe());
                dest[i].Score.Should().BeApproximately((float)reference.Score, 2e-4f * Math.Max(1f, Math.Abs((float)reference.Score)), Describe());
            }
        }
    }

    [Fact]
    public void Hand_case_campaign_with_the_increase_form()
    {
        // Hand table: 1 = (1, 0), 2 = (0, 1), 3 = (1, 1), 4 = (−1, 0.5). User ê_u = (1, 0). Campaign {2: 1, 4: 2}:
        // t = ê_2 + 2·ê_4 = (−2, 2); t·ê_u = −2; t·ê_i = [−2, 2, 0, 3].
        // Increase, γ = 0.5: g = 0.5·(t·ê_i − t·ê_u) = [0, 2, 1, 2.5].
        // p̂ = σ(ê_u·ê_i) = σ([1, 0, 1, −1]) = [0.731059, 0.5, 0.731059, 0.268941];
        // r = [0, 1, 0.731059, 0.672353] → 2, 3, 4, 1 (raw product).
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.5f) });
        var campaign = reranker.PrepareCampaign([new WeightedItem(2, 1f), new WeightedItem(4, 2f)]);

        var ranked = new RankedItem[4];
        reranker.RerankCatalogue([1f, 0f], campaign, ranked).Should().Be(4);

        ranked.Select(x => x.ItemId).Should().Equal(2, 3, 4, 1);
        ranked.Select(x => x.Guidance).Should().Equal([2f, 1f, 2.5f, 0f], (x, y) => Math.Abs(x - y) < 1e-6f);
        ranked.Select(x => x.Score).Should().Equal([1f, 0.731059f, 0.672353f, 0f], (x, y) => Math.Abs(x - y) < 1e-5f);
        campaign.Kind.Should().Be(TargetKind.Campaign);
        campaign.ItemId.Should().Be(0);
        campaign.Embedding.ToArray().Should().Equal(-2f, 2f);
    }

    [Fact]
    public void Hand_case_campaign_with_the_cosine_form_sums_the_members_cosine_gains()
    {
        // Campaign {2: 1, 3: 1}, user (1, 0). cos(ê_i, ê_2) = [0, 1, 0.707107, 0.447214]; cos(ê_u, ê_2) = 0;
        // cos(ê_i, ê_3) = [0.707107, 0.707107, 1, −0.316228]; cos(ê_u, ê_3) = 0.707107.
        // g = [0, 1, 0.707107, 0.447214] + [0, 0, 0.292893, −1.023335] = [0, 1, 1, −0.576121].
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var campaign = reranker.PrepareCampaign([new WeightedItem(2, 1f), new WeightedItem(3, 1f)]);

        var ranked = new RankedItem[4];
        reranker.RerankCandidates([1f, 0f], campaign, [1, 2, 3, 4], ranked);

        var g = ranked.ToDictionary(x => x.ItemId, x => x.Guidance);
        g[1].Should().BeApproximately(0f, 1e-6f);
        g[2].Should().BeApproximately(1f, 1e-6f);
        g[3].Should().BeApproximately(1f, 1e-6f);
        g[4].Should().BeApproximately(-0.576121f, 1e-5f);
    }

    public static TheoryData<string> AllModels() => ["increase", "absolute", "affine", "cosine", "exact"];

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_campaign_is_the_weighted_sum_of_its_items(string kind)
    {
        var items = TestData.RandomTable(30, 5, seed: 77);
        var encoder = new InMemoryEncoder(items);
        IGuidanceModel model = kind switch
        {
            "increase" => LinearGuidance.Increase(0.7f),
            "absolute" => LinearGuidance.Absolute(0.4f),
            "affine" => LinearGuidance.Affine(0.9, 2.5),
            "cosine" => CosineGuidance.Instance,
            _ => new ExactLookAheadGuidance(LinearGuidance.Default, 30),
        };
        var reranker = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = model });
        var random = new Random(5);
        int[] all = Enumerable.Range(1, 30).ToArray();
        for (int trial = 0; trial < 10; trial++)
        {
            int[] history = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(1, 31)).ToArray();
            var user = new float[5];
            encoder.Encode(history, user);
            var members = all.OrderBy(_ => random.Next()).Take(random.Next(1, 5)).Select(id => new WeightedItem(id, 0.25f + (float)random.NextDouble())).ToArray();

            var campaign = GuidanceOf(reranker, user, reranker.PrepareCampaign(members), history);
            var sum = new double[31];
            foreach (var m in members)
            {
                var single = GuidanceOf(reranker, user, reranker.PrepareTarget(m.ItemId), history);
                for (int id = 1; id <= 30; id++)
                {
                    sum[id] += m.Weight * single[id];
                }
            }

            for (int id = 1; id <= 30; id++)
            {
                campaign[id].Should().BeApproximately(sum[id], 1e-4 * Math.Max(1, Math.Abs(sum[id])), $"{model.Name}, item {id}, trial {trial}");
            }
        }
    }

    [Fact]
    public void A_campaign_of_one_item_with_weight_one_ranks_exactly_as_the_item()
    {
        var items = TestData.RandomTable(200, 12, seed: 9);
        var random = new Random(2);
        foreach (var model in new IGuidanceModel[] { LinearGuidance.Default, LinearGuidance.Absolute(0.3f), CosineGuidance.Instance })
        {
            var reranker = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Paper with { Guidance = model });
            for (int trial = 0; trial < 20; trial++)
            {
                var user = TestData.RandomVector(12, random, scale: 2f);
                int j = random.Next(1, 201);
                var single = new RankedItem[10];
                var campaign = new RankedItem[10];
                reranker.RerankCatalogue(user, reranker.PrepareTarget(j), single);
                reranker.RerankCatalogue(user, reranker.PrepareCampaign([new WeightedItem(j, 1f)]), campaign);
                campaign.Select(x => x.ItemId).Should().Equal(single.Select(x => x.ItemId), model.Name);
            }
        }
    }

    [Fact]
    public void A_vector_target_equal_to_an_item_embedding_ranks_as_that_item()
    {
        var items = TestData.RandomTable(150, 8, seed: 21);
        var reranker = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var random = new Random(8);
        var user = TestData.RandomVector(8, random);
        var byItem = new RankedItem[15];
        var byVector = new RankedItem[15];
        reranker.RerankCatalogue(user, reranker.PrepareTarget(42), byItem);
        var vector = reranker.PrepareTarget(items[42]);
        reranker.RerankCatalogue(user, vector, byVector);

        vector.Kind.Should().Be(TargetKind.Vector);
        byVector.Should().Equal(byItem);
    }

    [Fact]
    public void A_user_written_model_plugs_into_the_same_chain()
    {
        // g = 1 for even ids, NaN (not a candidate) for odd ids: the re-ranker must return only even ids, by p̂.
        var items = TestData.RandomTable(40, 4, seed: 3);
        var reranker = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Paper with { Guidance = new EvenItems() });
        var user = TestData.RandomVector(4, new Random(1));
        var dest = new RankedItem[40];
        int written = reranker.RerankCatalogue(user, reranker.PrepareTarget(1), dest, excludedItems: [2]);

        written.Should().Be(19, "20 even ids minus the excluded 2");
        dest[..written].Should().OnlyContain(x => x.ItemId % 2 == 0 && x.ItemId != 2 && x.Guidance == 1f);
        dest[..written].Select(x => x.Probability).Should().BeInDescendingOrder();
    }

    private sealed class EvenItems : IGuidanceModel
    {
        public string Name => "even-items";

        public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
        {
            for (int p = 0; p < guidance.Length; p++)
            {
                guidance[p] = context.ItemIdAt(p) % 2 == 0 ? 1f : float.NaN;
            }
        }
    }

    /// <summary>g of every item (index = id) through the re-ranker's own output (all items as candidates, K = N).</summary>
    private static double[] GuidanceOf(IpgReranker reranker, float[] user, GuidanceTarget target, int[] history)
    {
        int n = reranker.Encoder.ItemCount;
        var dest = new RankedItem[n];
        int written = reranker.RerankCandidates(user, target, Enumerable.Range(1, n).ToArray(), dest, history: history);
        var g = new double[n + 1];
        Array.Fill(g, double.NaN);
        foreach (var e in dest[..written])
        {
            g[e.ItemId] = e.Guidance;
        }

        return g;
    }

    private static (GuidanceTarget Target, NaiveReference.Target Naive) RandomTarget(IpgReranker reranker, ItemEmbeddingTable items, Random random)
    {
        int n = items.ItemCount;
        switch (random.Next(3))
        {
            case 0:
                int j = random.Next(1, n + 1);
                return (reranker.PrepareTarget(j), NaiveReference.Target.Item(items, j));
            case 1:
                var members = Enumerable.Range(1, n).OrderBy(_ => random.Next()).Take(random.Next(1, Math.Min(n, 5) + 1))
                    .Select(id => new WeightedItem(id, (float)Math.Round(0.1 + (2 * random.NextDouble()), 3))).ToArray();
                return (reranker.PrepareCampaign(members), NaiveReference.Target.Campaign(items, members));
            default:
                var v = TestData.RandomVector(items.Dimension, random);
                v[0] += 0.5f; // never the zero vector
                return (reranker.PrepareTarget(v), NaiveReference.Target.FromVector(v));
        }
    }
}
