using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Policies;
using Ipg.Tests.Policies;

namespace Ipg.Tests.Guidance;

/// <summary>The guidance strength λ: 0 is the base recommender, 1 is IPG, in between the documented shift.</summary>
public class GuidanceStrengthTests
{
    public static TheoryData<string> Models() => ["increase", "absolute", "cosine", "exact"];

    private static IGuidanceModel Model(string kind) => kind switch
    {
        "increase" => LinearGuidance.Default,
        "absolute" => LinearGuidance.Absolute(0.5f),
        "cosine" => CosineGuidance.Instance,
        _ => new ExactLookAheadGuidance(LinearGuidance.Default, 10),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Strength_zero_is_identical_to_the_greedy_policy(string kind)
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 300, d: 8, seed: 4);
        var users = PolicyTestKit.RandomUsers(40, 8, seed: 6);
        var mask = new ExclusionMask(40, 300);
        for (int u = 0; u < 40; u++)
        {
            mask.Add(u, 1 + (u * 7 % 300));
        }

        foreach (var policy in Enum.GetValues<NegativeGuidancePolicy>())
        {
            var context = PolicyTestKit.Context(encoder, target: 17, users, mask, slateSize: 5);
            var greedy = PolicyTestKit.Run(new GreedyPolicy(), context);
            var ipg = PolicyTestKit.Run(new IpgPolicy(new IpgReranker(encoder, new IpgOptions { Guidance = Model(kind), NegativeGuidance = policy, Strength = 0f })), context);
            ipg.Should().Equal(greedy, $"{kind}, {policy}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Strength_one_per_call_equals_the_options_default_and_values_between_move_towards_accuracy(string kind)
    {
        var items = TestData.RandomTable(400, 10, seed: 31);
        var encoder = new InMemoryEncoder(items);
        var reranker = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = Model(kind) });
        var random = new Random(12);
        double[] meanP = new double[5];
        float[] strengths = [0f, 0.5f, 0.9f, 0.99f, 1f];
        for (int trial = 0; trial < 60; trial++)
        {
            int[] history = Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(1, 401)).ToArray();
            var target = reranker.PrepareTarget(random.Next(1, 401));
            var byDefault = reranker.Recommend(history, target, 5);
            var full = reranker.Recommend(history, target, 5, strength: 1f);
            full.Should().Equal(byDefault);
            for (int s = 0; s < strengths.Length; s++)
            {
                var top = reranker.Recommend(history, target, 1, strength: strengths[s]);
                meanP[s] += top[0].Probability;
            }
        }

        // Less guidance, more accuracy: the mean p̂ of the top item does not rise with λ (averaged over users).
        for (int s = 1; s < strengths.Length; s++)
        {
            meanP[s].Should().BeLessThanOrEqualTo(meanP[s - 1] + 1e-9, $"{kind}: λ {strengths[s - 1]} → {strengths[s]}");
        }

        meanP[0].Should().BeGreaterThan(meanP[^1], "full guidance gives up some accuracy");
    }

    [Fact]
    public void Between_zero_and_one_the_key_is_the_shifted_guidance_and_the_score_stays_p_times_g()
    {
        // Hand table, user (1, 0), target 2, Increase γ = 0.5: g = 0.5·(ê_2·ê_i − 0) = [0, 0.5, 0.5, 0.25], S = 0.5.
        // λ = 0.5: g_λ = 0.5·g + 0.25 = [0.25, 0.5, 0.5, 0.375]; p̂ = [0.731059, 0.5, 0.731059, 0.268941];
        // r_λ = [0.182765, 0.25, 0.365529, 0.100853] → 3, 2, 1, 4 (at λ = 1: 3, 2, 4, 1).
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Paper with { Guidance = LinearGuidance.Increase(0.5f) });
        var target = reranker.PrepareTarget(2);
        var half = new RankedItem[4];
        var full = new RankedItem[4];
        reranker.RerankCatalogue([1f, 0f], target, half, strength: 0.5f);
        reranker.RerankCatalogue([1f, 0f], target, full);

        half.Select(x => x.ItemId).Should().Equal(3, 2, 1, 4);
        full.Select(x => x.ItemId).Should().Equal(3, 2, 4, 1);
        half.Single(x => x.ItemId == 4).Score.Should().BeApproximately(0.268941f * 0.25f, 1e-6f, "the reported r is p̂·g, not the key");
    }

    [Fact]
    public void Strength_zero_does_not_call_the_model()
    {
        var model = new CountingModel();
        var reranker = new IpgReranker(TestData.HandEncoder(), new IpgOptions { Strength = 1f, Guidance = model });
        var dest = new RankedItem[2];
        reranker.RerankCatalogue([1f, 0f], reranker.PrepareTarget(2), dest, strength: 0f);
        model.Calls.Should().Be(0);
        dest.Should().OnlyContain(x => x.Guidance == 0f && x.Score == 0f);
        reranker.RerankCatalogue([1f, 0f], reranker.PrepareTarget(2), dest, strength: 0.2f);
        model.Calls.Should().Be(1);
    }

    private sealed class CountingModel : IGuidanceModel
    {
        public int Calls;

        public string Name => "counting";

        public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
        {
            Interlocked.Increment(ref Calls);
            guidance.Fill(1f);
        }
    }
}
