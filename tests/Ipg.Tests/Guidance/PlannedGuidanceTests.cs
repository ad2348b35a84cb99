using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Tests.Guidance;

public class PlannedGuidanceTests
{
    [Fact]
    public void One_round_ahead_is_the_exact_cosine_look_ahead()
    {
        var items = TestData.RandomTable(40, 6, seed: 21);
        var encoder = new InMemoryEncoder(items);
        var planned = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 1, shortlist: 40) });
        var exact = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(CosineGuidance.Instance, 40, GuidanceForm.Cosine) });
        var random = new Random(8);
        for (int trial = 0; trial < 10; trial++)
        {
            int[] history = Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(1, 41)).ToArray();
            var target = planned.PrepareTarget(random.Next(1, 41));

            var p = planned.Recommend(history, target, 40);
            var e = exact.Recommend(history, target, 40);

            p.Select(x => x.ItemId).Should().Equal(e.Select(x => x.ItemId));
            p.Select(x => x.Guidance).Should().Equal(e.Select(x => x.Guidance), (a, b) => Math.Abs(a - b) < 1e-5f);
        }
    }

    [Fact]
    public void Two_rounds_ahead_scores_only_the_shortlist_and_adds_the_planned_value()
    {
        var items = TestData.RandomTable(30, 5, seed: 4);
        var encoder = new InMemoryEncoder(items);
        var one = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 1, shortlist: 5) });
        var two = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 2, beam: 3, shortlist: 5) });
        int[] history = [3, 9, 14];
        var target = two.PrepareTarget(22);

        var a = one.Recommend(history, target, 5);
        var b = two.Recommend(history, target, 5);

        // The shortlist is max(M, K) = 5 candidates: the rest are NaN (not candidates) and never returned.
        b.Should().HaveCount(5).And.OnlyContain(x => float.IsFinite(x.Guidance));
        b.Select(x => x.ItemId).Should().BeEquivalentTo(a.Select(x => x.ItemId), "both shortlist with the same step model");
        b.Select(x => x.Guidance).Should().NotEqual(a.Select(x => x.Guidance), "the second round adds V(s ⊕ i) − V(s)");
    }

    [Fact]
    public void Without_a_history_it_scores_with_the_step_model_and_bad_settings_are_refused()
    {
        var items = TestData.RandomTable(20, 4, seed: 2);
        var encoder = new InMemoryEncoder(items);
        var planned = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance) });
        var cosine = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var user = TestData.RandomVector(4, new Random(1));
        var target = planned.PrepareTarget(5);
        var x = new RankedItem[20];
        var y = new RankedItem[20];

        planned.RerankCatalogue(user, target, x);
        cosine.RerankCatalogue(user, target, y);

        x.Should().Equal(y);
        ((Action)(() => _ = new PlannedGuidance(CosineGuidance.Instance, horizon: 0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new PlannedGuidance(CosineGuidance.Instance, proxy: GuidanceForm.Absolute))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Cosine*Increase*");
    }
}
