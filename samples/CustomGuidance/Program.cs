// A guidance model of your own, plugged into IpgReranker: the re-ranker keeps p̂, the product r = p̂·g, the
// strength λ, the negative-guidance policy, exclusions, top-K, ties, batches and telemetry; the model only
// writes g for the candidates. Run: dotnet run --project samples/CustomGuidance -c Release
using Ipg;
using Ipg.Encoders;
using Ipg.Guidance;

using var encoder = SasRecDefaultModel.Load();
int[] history = [1772, 1632, 609, 2843, 3222, 3049, 546, 236];

// 1. A campaign: three items promoted together, the second twice as much; the cosine form (the authors' code).
var reranker = new IpgReranker(encoder, IpgOptions.Default with { Guidance = CosineGuidance.Instance, Strength = 1f });
var campaign = reranker.PrepareCampaign([new WeightedItem(2277, 1f), new WeightedItem(3435, 2f), new WeightedItem(1252, 1f)]);
Print("cosine guidance towards a campaign, λ = 1", reranker.Recommend(history, campaign, 5, excludedItems: history));
Print("the same at λ = 0.9 (closer to the base recommender)", reranker.Recommend(history, campaign, 5, history, strength: 0.9f));

// 2. A model of your own: the fitted affine move, but only for items of a category the platform may promote.
var promotable = new HashSet<int>(Enumerable.Range(2000, 1000));
var mine = new IpgReranker(encoder, IpgOptions.Default with { Guidance = new PromotableOnly(LinearGuidance.Affine(0.916, 4.734), promotable) });
var target = mine.PrepareTarget(2277);
Print("affine look-ahead restricted to items 2000..2999", mine.Recommend(history, target, 5, history));
return 0;

static void Print(string title, RankedItem[] items)
{
    Console.WriteLine(title);
    foreach (var e in items)
    {
        Console.WriteLine($"  {e.ItemId,5}: p̂={e.Probability:F3} g={e.Guidance:F3} r={e.Score:F3}");
    }
}

/// <summary>
/// Wraps another guidance model and leaves every item outside an allowed set out of the ranking (g = NaN means
/// "not a candidate"). Thread-safe (the set is read only) and allocation-free per call, as the seam requires.
/// </summary>
internal sealed class PromotableOnly(IGuidanceModel inner, IReadOnlySet<int> allowed) : IGuidanceModel
{
    public string Name => $"promotable-only({inner.Name})";

    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        inner.ComputeGuidance(context, guidance);
        for (int p = 0; p < guidance.Length; p++)
        {
            if (!allowed.Contains(context.ItemIdAt(p)))
            {
                guidance[p] = float.NaN;
            }
        }
    }
}
