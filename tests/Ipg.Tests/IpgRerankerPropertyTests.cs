using Ipg.Guidance;
using Ipg.Encoders;
using Ipg.Tests.Shared;

namespace Ipg.Tests;

/// <summary>Randomised equivalence with the naive reference, concurrency, and bad-input robustness.</summary>
public class IpgRerankerPropertyTests
{
    [Fact]
    public void Ten_thousand_random_cases_agree_with_the_naive_reference()
    {
        var random = new Random(20240513);
        var forms = Enum.GetValues<GuidanceForm>();
        var policies = Enum.GetValues<NegativeGuidancePolicy>();
        for (int @case = 0; @case < 10_000; @case++)
        {
            int n = random.Next(1, 40);
            int d = random.Next(1, 20);
            var items = TestData.RandomTable(n, d, seed: random.Next());
            var form = forms[random.Next(forms.Length)];
            var policy = policies[random.Next(policies.Length)];
            float gamma = (float)Math.Round(random.NextDouble() * 0.99, 3);
            var options = new IpgOptions { Strength = 1f, Guidance = GuidanceModels.FromForm(form, gamma), NegativeGuidance = policy };
            var reranker = new IpgReranker(new InMemoryEncoder(items), options);
            var user = TestData.RandomVector(d, random, scale: 3f);
            int j = random.Next(1, n + 1);
            var target = reranker.PrepareTarget(j);
            int k = random.Next(1, n + 2);
            var excluded = Enumerable.Range(0, random.Next(0, n)).Select(_ => random.Next(1, n + 1)).ToArray();
            int[]? candidates = random.Next(2) == 0 ? null : Enumerable.Range(0, random.Next(0, 2 * n)).Select(_ => random.Next(1, n + 1)).ToArray();

            var dest = new RankedItem[k];
            int written = candidates is null
                ? reranker.RerankCatalogue(user, target, dest, excluded)
                : reranker.RerankCandidates(user, target, candidates, dest, excluded);
            var expected = NaiveReference.Rank(items, user, j, form, gamma, policy, candidates, excluded.ToHashSet(), k);

            string Describe() => $"case {@case}: n={n} d={d} {options} target={j} k={k} user=[{string.Join(",", user)}] excluded=[{string.Join(",", excluded)}] candidates=[{(candidates is null ? "catalogue" : string.Join(",", candidates))}]";
            written.Should().Be(expected.Count, Describe());
            for (int i = 0; i < written; i++)
            {
                var reference = expected.Find(e => e.ItemId == dest[i].ItemId);
                bool nearTie = Math.Abs(expected[i].Key - (reference?.Key ?? double.NaN)) < 1e-4;
                if (dest[i].ItemId != expected[i].ItemId && !nearTie)
                {
                    Assert.Fail($"position {i}: got {dest[i].ItemId}, expected {expected[i].ItemId}; {Describe()}");
                }

                if (reference is not null)
                {
                    Math.Abs(dest[i].Score - reference.Score).Should().BeLessThan(1e-4, Describe());
                }
            }
        }
    }

    [Fact]
    public void Eight_threads_share_one_encoder_and_reranker_with_results_identical_to_sequential()
    {
        var items = TestData.RandomTable(200, 16, seed: 77);
        var encoder = new InMemoryEncoder(items, maxHistoryLength: 20);
        var reranker = new IpgReranker(encoder, IpgOptions.Default);
        var random = new Random(3);
        const int inputs = 500;
        var histories = Enumerable.Range(0, inputs).Select(_ => Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(1, 201)).ToArray()).ToArray();
        var targets = Enumerable.Range(1, 10).Select(reranker.PrepareTarget).ToArray();

        long Fingerprint(int input)
        {
            var target = targets[input % targets.Length];
            var ranked = reranker.Recommend(histories[input], target, 5, excludedItems: histories[input]);
            long h = 17;
            foreach (var r in ranked)
            {
                h = (h * 31) + r.ItemId;
                h = (h * 31) + BitConverter.SingleToInt32Bits(r.Score);
            }

            return h;
        }

        var sequential = Enumerable.Range(0, inputs).Select(Fingerprint).ToArray();
        const int perThread = 100_000;
        var mismatches = 0;
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                int input = (i * 7 + t * 13) % inputs;
                if (Fingerprint(input) != sequential[input])
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        mismatches.Should().Be(0);
    }

    [Fact]
    public void NaN_probabilities_from_an_encoder_are_left_out_and_the_reranker_stays_usable()
    {
        var encoder = new NaNProbabilityEncoder(new InMemoryEncoder(TestData.HandTable()));
        var reranker = new IpgReranker(encoder, IpgOptions.Paper);
        var target = reranker.PrepareTarget(2);
        var dest = new RankedItem[4];

        // The wrapper returns NaN for logits above 0.75 (item 3's logit is 1 for the hand user).
        int n = reranker.RerankCatalogue([0.5f, 0.5f], target, dest);

        n.Should().Be(3);
        dest[..3].Select(x => x.ItemId).Should().Equal(2, 4, 1);
    }

    [Fact]
    public void A_failed_call_leaves_the_reranker_unchanged()
    {
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Paper);
        var target = reranker.PrepareTarget(2);
        var before = reranker.Recommend([1, 2], target, 4);

        FluentActions.Invoking(() => reranker.Recommend([1, 99], target, 4)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => reranker.RerankCandidates([0.5f, 0.5f], target, [1, 2, 0], new RankedItem[2])).Should().Throw<ArgumentOutOfRangeException>();

        reranker.Recommend([1, 2], target, 4).Should().Equal(before);
    }

    private sealed class NaNProbabilityEncoder(InMemoryEncoder inner) : DelegatingEncoder(inner)
    {
        public override void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
        {
            for (int i = 0; i < logits.Length; i++)
            {
                destination[i] = logits[i] > 0.75f ? float.NaN : 1f / (1f + MathF.Exp(-logits[i]));
            }
        }
    }
}
