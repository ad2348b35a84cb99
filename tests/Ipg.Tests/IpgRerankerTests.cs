using Ipg.Guidance;
using Ipg.Encoders;

namespace Ipg.Tests;

public class IpgRerankerTests
{
    // The hand case (TestData.HandTable): items 1 (1,0), 2 (0,1), 3 (1,1), 4 (−1,0.5); target j = 2;
    // user ê_u = (0.5, 0.5).
    //   logits ê_u·ê_i = [0.5, 0.5, 1, −0.25]
    //   p̂ = σ(logit)   = [0.62245933, 0.62245933, 0.73105858, 0.43782350]
    //   ê_j·ê_i        = [0, 1, 1, 0.5];   ê_j·ê_u = 0.5
    private static readonly float[] HandUser = [0.5f, 0.5f];
    private const float P1 = 0.62245933f;
    private const float P3 = 0.73105858f;
    private const float P4 = 0.43782350f;

    private static (IpgReranker Reranker, GuidanceTarget Target) Hand(IpgOptions options)
    {
        var reranker = new IpgReranker(TestData.HandEncoder(), options);
        return (reranker, reranker.PrepareTarget(2));
    }

    private static RankedItem[] RerankAll(IpgReranker reranker, GuidanceTarget target, ReadOnlySpan<float> user, int k = 4)
    {
        var result = new RankedItem[k];
        int n = reranker.RerankCatalogue(user, target, result);
        return result[..n];
    }

    [Fact]
    public void Increase_form_hand_case()
    {
        // γ = 0.8: g = 0.2·(ê_j·ê_i − 0.5) = [−0.1, 0.1, 0.1, 0]; r = p̂·g = [−0.0622459, 0.0622459, 0.0731059, 0].
        var (reranker, target) = Hand(IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.8f) });
        var ranked = RerankAll(reranker, target, HandUser);

        ranked.Select(x => x.ItemId).Should().Equal(3, 2, 4, 1);
        ranked[0].Probability.Should().BeApproximately(P3, 1e-6f);
        ranked[0].Guidance.Should().BeApproximately(0.1f, 1e-6f);
        ranked[0].Score.Should().BeApproximately(0.073105858f, 1e-6f);
        ranked[1].Score.Should().BeApproximately(0.062245933f, 1e-6f);
        ranked[2].Guidance.Should().BeApproximately(0f, 1e-6f);
        ranked[3].Guidance.Should().BeApproximately(-0.1f, 1e-6f);
        ranked[3].Score.Should().BeApproximately(-0.062245933f, 1e-6f);
    }

    [Fact]
    public void Accuracy_fallback_ranks_non_positive_guidance_by_probability()
    {
        // Same numbers; items 1 (g = −0.1, p̂ 0.622) and 4 (g = 0, p̂ 0.438) have no positive guidance, so
        // they follow 3 and 2 ordered by p̂: 1 before 4 (Raw puts 4 first, as r = 0 > −0.062).
        var (reranker, target) = Hand(IpgOptions.Default with { Strength = 1f, Guidance = LinearGuidance.Increase(0.8f) });
        var ranked = RerankAll(reranker, target, HandUser);

        ranked.Select(x => x.ItemId).Should().Equal(3, 2, 1, 4);
        ranked[2].Score.Should().BeApproximately(-0.062245933f, 1e-6f, "the reported score stays the raw p̂·g");
    }

    [Fact]
    public void Raw_policy_prefers_low_probability_when_all_guidance_is_negative()
    {
        // Target j = 1 (1,0), user (2, 0): ê_j·ê_u = 2 exceeds every ê_j·ê_i (≤ 1), so every g < 0.
        // Increase γ = 0.5: g = 0.5·(ê_j·ê_i − 2) = [−0.5, −1, −0.5, −1.5]; logits = [2, 0, 2, −2];
        // p̂ = [0.880797, 0.5, 0.880797, 0.119203]; r = [−0.440399, −0.5, −0.440399, −0.178805].
        var encoder = TestData.HandEncoder();
        float[] user = [2f, 0f];
        var raw = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.5f) });
        var fallback = new IpgReranker(encoder, IpgOptions.Default with { Strength = 1f, Guidance = LinearGuidance.Increase(0.5f) });
        var target = raw.PrepareTarget(1);

        var rawRanked = RerankAll(raw, target, user);
        var fallbackRanked = RerankAll(fallback, target, user);

        rawRanked.Select(x => x.ItemId).Should().Equal(4, 1, 3, 2);
        rawRanked[0].Score.Should().BeApproximately(-0.178805f, 1e-5f);
        fallbackRanked.Select(x => x.ItemId).Should().Equal(new[] { 1, 3, 2, 4 }, "with no positive guidance the fallback is the base recommender's order");
    }

    [Fact]
    public void Absolute_form_hand_case_and_gamma_changes_the_ranking()
    {
        // γ = 0.8: g = 0.8·0.5 + 0.2·ê_j·ê_i = [0.4, 0.6, 0.6, 0.5]; r = [0.248984, 0.373476, 0.438635, 0.218912].
        var (accurate, target) = Hand(IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(0.8f) });
        var ranked = RerankAll(accurate, target, HandUser);
        ranked.Select(x => x.ItemId).Should().Equal(3, 2, 1, 4);
        ranked.Select(x => x.Guidance).Should().Equal([0.6f, 0.6f, 0.4f, 0.5f], (a, b) => Math.Abs(a - b) < 1e-6f);
        ranked.Select(x => x.Score).Should().Equal([0.43863515f, 0.37347560f, 0.24898373f, 0.21891175f], (a, b) => Math.Abs(a - b) < 1e-6f);

        // γ = 0.2: g = 0.1 + 0.8·ê_j·ê_i = [0.1, 0.9, 0.9, 0.5]; r = [0.062246, 0.560213, 0.657953, 0.218912].
        var guiding = new IpgReranker(accurate.Encoder, accurate.Options with { Guidance = LinearGuidance.Absolute(0.2f) });
        var ranked2 = RerankAll(guiding, target, HandUser);
        ranked2.Select(x => x.ItemId).Should().Equal(3, 2, 4, 1);
        ranked2[2].Score.Should().BeApproximately(0.21891175f, 1e-6f);
        ranked2[3].Score.Should().BeApproximately(0.062245933f, 1e-6f);
    }

    [Fact]
    public void Cosine_form_hand_case()
    {
        // ‖ê_u‖ = √0.5, cos(ê_u, ê_j) = 0.5/√0.5 = 0.7071068; cos(ê_i, ê_j) = [0, 1, 0.7071068, 0.4472136]
        // g = [−0.7071068, 0.2928932, 0, −0.2598932]; r = [−0.440145, 0.182315, 0, −0.113787].
        var (reranker, target) = Hand(IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var ranked = RerankAll(reranker, target, HandUser);

        ranked.Select(x => x.ItemId).Should().Equal(2, 3, 4, 1);
        ranked[0].Guidance.Should().BeApproximately(0.2928932f, 1e-6f);
        ranked[0].Score.Should().BeApproximately(0.18231459f, 1e-6f);
        ranked[1].Guidance.Should().BeApproximately(0f, 1e-6f);
        ranked[2].Guidance.Should().BeApproximately(-0.2598932f, 1e-6f);
        ranked[2].Score.Should().BeApproximately(-0.11378736f, 1e-6f);
        ranked[3].Score.Should().BeApproximately(-0.44014521f, 1e-6f);
    }

    [Fact]
    public void Cosine_form_matches_a_direct_cosine_computation()
    {
        var items = TestData.RandomTable(37, 7, seed: 11);
        var reranker = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var user = TestData.RandomVector(7, random);
            int j = random.Next(1, 38);
            var target = reranker.PrepareTarget(j);
            var ranked = RerankAll(reranker, target, user, 37);
            double[] u = Array.ConvertAll(user, x => (double)x);
            double[] e = Array.ConvertAll(items[j].ToArray(), x => (double)x);
            foreach (var entry in ranked)
            {
                double[] i = Array.ConvertAll(items[entry.ItemId].ToArray(), x => (double)x);
                double expected = NaiveReference.Cos(i, e) - NaiveReference.Cos(u, e);
                entry.Guidance.Should().BeApproximately((float)expected, 1e-5f);
            }
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    [InlineData(0.8f)]
    [InlineData(0.99f)]
    public void Increase_form_ranking_does_not_depend_on_gamma(float gamma)
    {
        var items = TestData.RandomTable(200, 16, seed: 3);
        var encoder = new InMemoryEncoder(items);
        var baseline = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.5f) });
        var other = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Increase(gamma) });
        var random = new Random(17);
        for (int trial = 0; trial < 25; trial++)
        {
            var user = TestData.RandomVector(16, random);
            var target = baseline.PrepareTarget(random.Next(1, 201));
            var a = RerankAll(baseline, target, user, 20).Select(x => x.ItemId);
            var b = RerankAll(other, target, user, 20).Select(x => x.ItemId);
            b.Should().Equal(a);
        }
    }

    [Fact]
    public void Absolute_form_ranking_depends_on_gamma()
    {
        var items = TestData.RandomTable(200, 16, seed: 3);
        var encoder = new InMemoryEncoder(items);
        var low = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(0.05f) });
        var high = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(0.95f) });
        var random = new Random(17);
        int differing = 0;
        for (int trial = 0; trial < 25; trial++)
        {
            var user = TestData.RandomVector(16, random);
            var target = low.PrepareTarget(random.Next(1, 201));
            var a = RerankAll(low, target, user, 10).Select(x => x.ItemId);
            var b = RerankAll(high, target, user, 10).Select(x => x.ItemId);
            if (!a.SequenceEqual(b))
            {
                differing++;
            }
        }

        differing.Should().BeGreaterThan(20, "γ trades p̂ against target similarity in the Absolute form");
    }

    [Fact]
    public void Exclusions_are_never_returned_in_either_mode()
    {
        var items = TestData.RandomTable(50, 8, seed: 1);
        var reranker = new IpgReranker(new InMemoryEncoder(items));
        var random = new Random(2);
        for (int trial = 0; trial < 50; trial++)
        {
            var user = TestData.RandomVector(8, random);
            var target = reranker.PrepareTarget(random.Next(1, 51));
            int[] excluded = Enumerable.Range(0, random.Next(0, 45)).Select(_ => random.Next(1, 51)).ToArray();
            int[] candidates = Enumerable.Range(0, 30).Select(_ => random.Next(1, 51)).ToArray();
            var dest = new RankedItem[50];

            int n = reranker.RerankCatalogue(user, target, dest, excluded);
            n.Should().Be(50 - excluded.Distinct().Count());
            dest[..n].Select(x => x.ItemId).Should().NotIntersectWith(excluded).And.OnlyHaveUniqueItems();

            int m = reranker.RerankCandidates(user, target, candidates, dest, excluded);
            m.Should().Be(candidates.Distinct().Except(excluded).Count());
            dest[..m].Select(x => x.ItemId).Should().NotIntersectWith(excluded).And.OnlyHaveUniqueItems().And.BeSubsetOf(candidates);
        }
    }

    [Fact]
    public void K_larger_than_candidates_returns_all_in_order()
    {
        var (reranker, target) = Hand(IpgOptions.Paper);
        var dest = new RankedItem[10];
        int n = reranker.RerankCandidates(HandUser, target, [4, 1, 3], dest);
        n.Should().Be(3);
        dest[..3].Select(x => x.ItemId).Should().Equal(3, 4, 1);
        dest[..3].Select(x => x.Score).Should().BeInDescendingOrder();
    }

    [Fact]
    public void Duplicate_candidates_count_once()
    {
        var (reranker, target) = Hand(IpgOptions.Paper);
        var dest = new RankedItem[10];
        int n = reranker.RerankCandidates(HandUser, target, [3, 3, 2, 3, 2], dest);
        dest[..n].Select(x => x.ItemId).Should().Equal(3, 2);
    }

    [Fact]
    public void Empty_candidate_list_returns_nothing()
    {
        var (reranker, target) = Hand(IpgOptions.Paper);
        reranker.RerankCandidates(HandUser, target, [], new RankedItem[3]).Should().Be(0);
    }

    [Fact]
    public void Ties_are_broken_by_the_lower_item_id_whatever_the_candidate_order()
    {
        // Items 2, 4 and 5 are identical, so their scores tie exactly.
        var items = ItemEmbeddingTable.FromItemRows(5, 2, [1f, 0f, 0.3f, 0.4f, 0f, 1f, 0.3f, 0.4f, 0.3f, 0.4f]);
        var reranker = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Paper);
        var target = reranker.PrepareTarget(3);
        float[] user = [0.2f, 0.1f];
        var dest = new RankedItem[5];

        foreach (int[] order in new[] { new[] { 5, 4, 2, 1, 3 }, [2, 4, 5, 3, 1], [4, 1, 5, 2, 3] })
        {
            int n = reranker.RerankCandidates(user, target, order, dest);
            var ids = dest[..n].Select(x => x.ItemId).ToList();
            ids.Where(id => id is 2 or 4 or 5).Should().Equal(2, 4, 5);
        }

        int m = reranker.RerankCatalogue(user, target, dest);
        dest[..m].Select(x => x.ItemId).Where(id => id is 2 or 4 or 5).Should().Equal(2, 4, 5);
    }

    [Fact]
    public void Top1_is_the_argmax_of_the_same_call()
    {
        var items = TestData.RandomTable(120, 12, seed: 8);
        var reranker = new IpgReranker(new InMemoryEncoder(items));
        var random = new Random(9);
        for (int trial = 0; trial < 30; trial++)
        {
            var user = TestData.RandomVector(12, random);
            var target = reranker.PrepareTarget(random.Next(1, 121));
            var all = RerankAll(reranker, target, user, 120);
            var one = RerankAll(reranker, target, user, 1);
            one.Should().ContainSingle().Which.Should().Be(all[0]);
        }
    }

    public static TheoryData<int, int, GuidanceForm, NegativeGuidancePolicy> Shapes()
    {
        var data = new TheoryData<int, int, GuidanceForm, NegativeGuidancePolicy>();
        int[] counts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 127, 257];
        int[] dims = [1, 2, 3, 5, 7, 8, 9, 16, 17, 33, 48];
        int c = 0;
        foreach (var form in Enum.GetValues<GuidanceForm>())
        {
            foreach (var policy in Enum.GetValues<NegativeGuidancePolicy>())
            {
                for (int s = 0; s < 6; s++)
                {
                    data.Add(counts[c % counts.Length], dims[(c * 7) % dims.Length], form, policy);
                    c++;
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Optimised_path_equals_the_naive_reference(int itemCount, int dimension, GuidanceForm form, NegativeGuidancePolicy policy)
    {
        var items = TestData.RandomTable(itemCount, dimension, seed: (itemCount * 31) + dimension);
        var random = new Random(itemCount + (1000 * dimension));
        foreach (float gamma in new[] { 0f, 0.5f, 0.8f })
        {
            var options = new IpgOptions { Strength = 1f, Guidance = GuidanceModels.FromForm(form, gamma), NegativeGuidance = policy };
            var reranker = new IpgReranker(new InMemoryEncoder(items), options);
            for (int trial = 0; trial < 10; trial++)
            {
                var user = TestData.RandomVector(dimension, random, scale: 2f);
                int j = random.Next(1, itemCount + 1);
                var target = reranker.PrepareTarget(j);
                int k = random.Next(1, itemCount + 3);
                var excluded = Enumerable.Range(0, random.Next(0, itemCount)).Select(_ => random.Next(1, itemCount + 1)).ToArray();
                bool useCandidates = trial % 2 == 1;
                int[] candidates = Enumerable.Range(0, random.Next(0, (2 * itemCount) + 1)).Select(_ => random.Next(1, itemCount + 1)).ToArray();

                var dest = new RankedItem[k];
                int n = useCandidates
                    ? reranker.RerankCandidates(user, target, candidates, dest, excluded)
                    : reranker.RerankCatalogue(user, target, dest, excluded);
                var expected = NaiveReference.Rank(items, user, j, form, gamma, policy, useCandidates ? candidates : null, excluded.ToHashSet(), k);

                AssertAgrees(dest[..n], expected);
            }
        }
    }

    /// <summary>
    /// Same length; per position the same key within tolerance (float SIMD vs double reference); the same
    /// ids wherever the reference's neighbouring keys are not near-ties; p̂, g, r of every id as the
    /// reference computes them.
    /// </summary>
    private static void AssertAgrees(RankedItem[] actual, List<NaiveReference.Entry> expected)
    {
        actual.Length.Should().Be(expected.Count);
        const double tolerance = 2e-5;
        for (int i = 0; i < actual.Length; i++)
        {
            bool nearTie = (i > 0 && Math.Abs(expected[i].Key - expected[i - 1].Key) < 1e-4)
                || (i + 1 < expected.Count && Math.Abs(expected[i].Key - expected[i + 1].Key) < 1e-4);
            if (!nearTie)
            {
                actual[i].ItemId.Should().Be(expected[i].ItemId, $"position {i} is not a near-tie");
            }

            var reference = expected.FirstOrDefault(e => e.ItemId == actual[i].ItemId);
            if (reference is not null)
            {
                ((double)actual[i].Probability).Should().BeApproximately(reference.Probability, tolerance);
                ((double)actual[i].Guidance).Should().BeApproximately(reference.Guidance, tolerance);
                ((double)actual[i].Score).Should().BeApproximately(reference.Score, tolerance);
            }
            else
            {
                nearTie.Should().BeTrue($"item {actual[i].ItemId} at position {i} is not in the reference's top list");
            }
        }
    }

    [Fact]
    public void Batch_equals_one_user_at_a_time_and_honours_the_mask()
    {
        var items = TestData.RandomTable(300, 24, seed: 4);
        var encoder = new InMemoryEncoder(items);
        var reranker = new IpgReranker(encoder);
        var target = reranker.PrepareTarget(42);
        var random = new Random(6);
        const int users = 37, k = 7;
        var embeddings = new float[users * 24];
        var mask = new ExclusionMask(users, 300);
        for (int u = 0; u < users; u++)
        {
            TestData.RandomVector(24, random).CopyTo(embeddings, u * 24);
            for (int e = 0; e < 20; e++)
            {
                mask.Add(u, random.Next(1, 301));
            }
        }

        var batch = new RankedItem[users * k];
        var counts = new int[users];
        reranker.RerankBatch(embeddings, target, k, batch, counts, mask);

        for (int u = 0; u < users; u++)
        {
            int[] excluded = Enumerable.Range(1, 300).Where(id => mask.Contains(u, id)).ToArray();
            var single = new RankedItem[k];
            int n = reranker.RerankCatalogue(embeddings.AsSpan(u * 24, 24), target, single, excluded);
            counts[u].Should().Be(n);
            batch.AsSpan(u * k, n).ToArray().Should().Equal(single[..n]);
        }
    }

    [Fact]
    public void Recommend_encodes_the_history_then_reranks()
    {
        var encoder = TestData.HandEncoder();
        var reranker = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.8f) });
        var target = reranker.PrepareTarget(2);

        // Mean of items 1 (1,0) and 2 (0,1) is the hand user (0.5, 0.5).
        var ranked = reranker.Recommend([1, 2], target, 4);

        ranked.Select(x => x.ItemId).Should().Equal(3, 2, 4, 1);
        reranker.Recommend([1, 2], target, 10).Should().HaveCount(4);
        reranker.Recommend([1, 2], target, 4, excludedItems: [3]).Select(x => x.ItemId).Should().Equal(2, 4, 1);
    }

    [Fact]
    public void Constructor_validates_arguments()
    {
        var encoder = TestData.HandEncoder();
        FluentActions.Invoking(() => new IpgReranker(null!)).Should().Throw<ArgumentNullException>().WithParameterName("encoder");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Strength = 1f, Guidance = LinearGuidance.Increase(1f) })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("gamma");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Strength = 1f, Guidance = LinearGuidance.Absolute(-0.1f) })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("gamma");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Strength = 1f, Guidance = LinearGuidance.Increase(float.NaN) })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("gamma");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Strength = 1f, Guidance = GuidanceModels.FromForm((GuidanceForm)9) })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("form");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Guidance = null! })).Should().Throw<ArgumentNullException>().WithParameterName("Guidance");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { Strength = 1.5f })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Strength");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { NegativeGuidance = (NegativeGuidancePolicy)9 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("NegativeGuidance");
    }

    [Fact]
    public void Rerank_methods_validate_arguments()
    {
        var (reranker, target) = Hand(IpgOptions.Paper);
        var otherTarget = GuidanceTarget.Create(TestData.HandTable(), 2);
        var dest = new RankedItem[2];

        FluentActions.Invoking(() => reranker.RerankCatalogue(HandUser, null!, new RankedItem[2])).Should().Throw<ArgumentNullException>().WithParameterName("target");
        FluentActions.Invoking(() => reranker.RerankCatalogue(HandUser, otherTarget, new RankedItem[2])).Should().Throw<ArgumentException>().WithParameterName("target");
        FluentActions.Invoking(() => reranker.RerankCatalogue([1f], target, new RankedItem[2])).Should().Throw<ArgumentException>().WithParameterName("userEmbedding");
        FluentActions.Invoking(() => reranker.RerankCatalogue([float.NaN, 0f], target, new RankedItem[2])).Should().Throw<ArgumentException>().WithParameterName("userEmbedding");
        FluentActions.Invoking(() => reranker.RerankCatalogue(HandUser, target, Span<RankedItem>.Empty)).Should().Throw<ArgumentException>().WithParameterName("destination");
        FluentActions.Invoking(() => reranker.RerankCatalogue(HandUser, target, new RankedItem[2], [0])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("excludedItems");
        FluentActions.Invoking(() => reranker.RerankCandidates(HandUser, target, [1, 5], new RankedItem[2])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("candidates");
        FluentActions.Invoking(() => reranker.RerankCandidates(HandUser, target, [-1], new RankedItem[2])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("candidates");
        FluentActions.Invoking(() => reranker.PrepareTarget(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetItemId");
        FluentActions.Invoking(() => reranker.PrepareTarget(5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetItemId");
        FluentActions.Invoking(() => reranker.Recommend([1], target, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        FluentActions.Invoking(() => reranker.Recommend([9], target, 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
        FluentActions.Invoking(() => reranker.RerankBatch(new float[3], target, 1, new RankedItem[2], new int[2])).Should().Throw<ArgumentException>().WithParameterName("userEmbeddings");
        FluentActions.Invoking(() => reranker.RerankBatch(new float[4], target, 2, new RankedItem[3], new int[2])).Should().Throw<ArgumentException>().WithParameterName("destination");
        FluentActions.Invoking(() => reranker.RerankBatch(new float[4], target, 1, new RankedItem[2], new int[1])).Should().Throw<ArgumentException>().WithParameterName("counts");
        FluentActions.Invoking(() => reranker.RerankBatch(new float[4], target, 1, new RankedItem[2], new int[2], new ExclusionMask(1, 4))).Should().Throw<ArgumentException>().WithParameterName("exclusions");
        FluentActions.Invoking(() => reranker.RerankBatch(new float[4], target, 0, new RankedItem[2], new int[2])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        dest.Should().AllSatisfy(x => x.ItemId.Should().Be(0), "failed calls write nothing");
    }
}
