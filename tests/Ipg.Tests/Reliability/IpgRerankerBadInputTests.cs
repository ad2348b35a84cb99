using Ipg.Guidance;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Tests.Shared;

namespace Ipg.Tests.Reliability;

/// <summary>
/// The bad-input matrix of docs/reliability.md for the core API (re-ranker, item table, target, options, policy
/// context): every row asserts the documented outcome and then that the shared objects (encoder, re-ranker,
/// prepared target, item table) still give exactly the results they gave before the bad call.
/// </summary>
/// <remarks>
/// One class for the whole matrix rather than one per type, so the document can name one test per row; the
/// per-type argument checks stay in the types' own test classes.
/// </remarks>
public class IpgRerankerBadInputTests
{
    private const int N = 50;
    private const int D = 8;
    private const int MaxLength = 10;

    /// <summary>The shared objects a service would hold, and a fingerprint of everything they compute.</summary>
    private sealed class World
    {
        public World()
        {
            Items = TestData.RandomTable(N, D, seed: 4242);
            Encoder = new InMemoryEncoder(Items, maxHistoryLength: MaxLength);
            Reranker = new IpgReranker(Encoder, TestData.LinearFallback);
            Target = Reranker.PrepareTarget(7);
            User = TestData.RandomVector(D, new Random(5));
        }

        public ItemEmbeddingTable Items { get; }

        public InMemoryEncoder Encoder { get; }

        public IpgReranker Reranker { get; }

        public GuidanceTarget Target { get; }

        public float[] User { get; }

        public string Fingerprint()
        {
            var recommended = Reranker.Recommend([3, 5, 9, 11], Target, 10, [4]);
            var catalogue = new RankedItem[12];
            int c = Reranker.RerankCatalogue(User, Target, catalogue, [1, 2]);
            var candidates = new RankedItem[5];
            int k = Reranker.RerankCandidates(User, Target, [8, 9, 10, 20, 30, 40], candidates);
            var context = new PolicyContext(Encoder, Target, [new[] { 1, 2 }, new[] { 3 }], User.Concat(User).ToArray(), slateSize: 3);
            var slates = new int[6];
            new IpgPolicy(Reranker).Recommend(context, slates);
            var encoded = new float[D];
            Encoder.Encode([1, 2, 3], encoded);
            return string.Join(';',
                string.Join(',', recommended.Select(Describe)),
                string.Join(',', catalogue[..c].Select(Describe)),
                string.Join(',', candidates[..k].Select(Describe)),
                string.Join(',', slates),
                string.Join(',', encoded.Select(BitConverter.SingleToInt32Bits)),
                string.Join(',', Target.TargetDots.ToArray().Select(BitConverter.SingleToInt32Bits)),
                Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Items.Rows))));

            static string Describe(RankedItem r) => $"{r.ItemId}:{BitConverter.SingleToInt32Bits(r.Score)}";
        }
    }

    /// <summary>One row: what the bad call is and how its outcome is checked.</summary>
    private sealed record Row(string Id, string What, Action<World> Check);

    private static Row Throws<TException>(string id, string what, Action<World> call, string? paramName, string message = "*")
        where TException : Exception
        => new(id, what, w =>
        {
            var thrown = FluentActions.Invoking(() => call(w)).Should().ThrowExactly<TException>(what).Which;
            if (paramName is not null)
            {
                ((ArgumentException)(object)thrown).ParamName.Should().Be(paramName, what);
            }

            thrown.Message.Should().Match(message, what);
        });

    private static readonly Row[] s_rows =
    [
        Throws<ArgumentException>("R01", "NaN in the item embedding table", w => _ = new ItemEmbeddingTable(2, 2, [0, 0, 1, float.NaN, 0, 1]), "rowsIncludingPadding", "*item 1, component 1 is NaN*"),
        Throws<ArgumentException>("R01", "+∞ in the item rows", _ => ItemEmbeddingTable.FromItemRows(2, 2, [0, 1, float.PositiveInfinity, 0]), "itemRows", "*item 2, component 0 is*"),
        Throws<ArgumentException>("R01", "−∞ in the item rows", _ => ItemEmbeddingTable.FromItemRows(2, 2, [0, 1, 0, float.NegativeInfinity]), "itemRows", "*item 2, component 1 is*"),
        Throws<ArgumentException>("R02", "table span of the wrong length", w => _ = new ItemEmbeddingTable(2, 2, new float[5]), "rowsIncludingPadding", "*Expected*6*got 5*"),
        Throws<ArgumentException>("R02", "item rows of the wrong length", _ => ItemEmbeddingTable.FromItemRows(2, 2, new float[3]), "itemRows", "*Expected*4*got 3*"),
        Throws<ArgumentException>("R03", "NaN in the user vector", w => w.Reranker.RerankCatalogue(WithBad(w.User, 3, float.NaN), w.Target, new RankedItem[3]), "userEmbedding", "Component 3 is NaN*"),
        Throws<ArgumentException>("R03", "+∞ in the user vector", w => w.Reranker.RerankCandidates(WithBad(w.User, 0, float.PositiveInfinity), w.Target, [1, 2], new RankedItem[3]), "userEmbedding", "Component 0 is*finite*"),
        Throws<ArgumentException>("R03", "−∞ in one row of a batch", w => w.Reranker.RerankBatch(w.User.Concat(WithBad(w.User, 2, float.NegativeInfinity)).ToArray(), w.Target, 2, new RankedItem[4], new int[2]), "userEmbeddings", "User 1, component 2 is*"),
        Throws<ArgumentException>("R03", "NaN in a policy context's user vectors", w => _ = new PolicyContext(w.Encoder, w.Target, [ReadOnlyMemory<int>.Empty], WithBad(w.User, 5, float.NaN)), "userEmbeddings", "User 0, component 5 is NaN*"),
        Throws<InvalidOperationException>("R04", "encoder returns a NaN user vector", w => new IpgReranker(new NaNEncoder(w.Encoder), IpgOptions.Default).Recommend([1, 2], w.Target, 3), null, "*NaNEncoder*component 0 is NaN*"),
        Throws<ArgumentException>("R05", "user vector shorter than d", w => w.Reranker.RerankCatalogue(w.User[..^1], w.Target, new RankedItem[3]), "userEmbedding", "*dimension 8, got length 7*"),
        Throws<ArgumentException>("R05", "batch not a multiple of d", w => w.Reranker.RerankBatch(new float[D + 1], w.Target, 1, new RankedItem[2], new int[2]), "userEmbeddings", "*not a multiple of the dimension 8*"),
        Throws<ArgumentException>("R05", "context vectors for the wrong d", w => _ = new PolicyContext(w.Encoder, w.Target, [ReadOnlyMemory<int>.Empty], new float[D - 1]), "userEmbeddings", "*d = 8*got 7*"),
        Throws<ArgumentException>("R06", "target prepared over a table of another dimension", w => w.Reranker.RerankCatalogue(w.User, GuidanceTarget.Create(TestData.RandomTable(N, D + 1, 1), 7), new RankedItem[3]), "target", "*N = 50, d = 9*N = 50, d = 8*"),
        Throws<ArgumentException>("R06", "target prepared over an equal-shaped but different table", w => w.Reranker.Recommend([1], GuidanceTarget.Create(TestData.RandomTable(N, D, 4242), 7), 3), "target", "*different item table*"),
        Throws<ArgumentOutOfRangeException>("R07", "γ = NaN", _ => LinearGuidance.Increase(float.NaN), "gamma", "*finite value in ?0, 1)*NaN*"),
        Throws<ArgumentOutOfRangeException>("R07", "γ = +∞", _ => LinearGuidance.Absolute(float.PositiveInfinity), "gamma"),
        Throws<ArgumentOutOfRangeException>("R07", "γ = −∞", _ => LinearGuidance.Increase(float.NegativeInfinity), "gamma"),
        Throws<ArgumentOutOfRangeException>("R07", "γ = 1", _ => LinearGuidance.Increase(1f), "gamma"),
        Throws<ArgumentOutOfRangeException>("R07", "γ < 0", _ => LinearGuidance.Absolute(-0.1f), "gamma"),
        Throws<ArgumentOutOfRangeException>("R07", "undefined enum option", w => _ = new IpgReranker(w.Encoder, new IpgOptions { NegativeGuidance = (NegativeGuidancePolicy)42 }), "NegativeGuidance"),
        Throws<ArgumentOutOfRangeException>("R07", "exact look-ahead with M = 0", _ => new ExactLookAheadGuidance(LinearGuidance.Default, 0), "candidates"),
        Throws<ArgumentOutOfRangeException>("R07", "affine b ≤ 0", _ => LinearGuidance.Affine(0.9, 0), "b"),
        Throws<ArgumentOutOfRangeException>("R07", "strength λ > 1 (options)", w => _ = new IpgReranker(w.Encoder, new IpgOptions { Strength = 1.01f }), "Strength"),
        Throws<ArgumentOutOfRangeException>("R07", "strength λ = NaN (call)", w => w.Reranker.RerankCatalogue(w.User, w.Target, new RankedItem[3], strength: float.NaN), "strength"),
        Throws<ArgumentOutOfRangeException>("R07", "strength λ < 0 (call)", w => w.Reranker.Recommend([1], w.Target, 3, strength: -0.5f), "strength"),
        new("R08", "NaN probabilities from the encoder: those items are left out", w =>
        {
            var reranker = new IpgReranker(new NaNEncoder(w.Encoder, nanProbabilitiesAbove: 0f), IpgOptions.Default);
            var ranked = reranker.Recommend([1, 2], w.Target, N);
            var logits = Logits(w, [1, 2]);
            ranked.Should().HaveCount(logits.Count(l => !(l > 0f)), "only the items with a finite probability are ranked");
            ranked.Should().OnlyContain(r => !float.IsNaN(r.Score) && logits[r.ItemId - 1] <= 0f);
        }),
        new("R08", "+∞ probabilities from the encoder: ranked as values, never NaN", w =>
        {
            var reranker = new IpgReranker(new NaNEncoder(w.Encoder, nanProbabilitiesAbove: 0f, replacement: float.PositiveInfinity), IpgOptions.Paper);
            var ranked = reranker.Recommend([1, 2], w.Target, 10);
            ranked.Length.Should().BeLessThanOrEqualTo(10);
            ranked.Should().OnlyContain(r => !float.IsNaN(r.Score));
        }),
        new("R09", "finite user vector whose dot products overflow: no exception, no NaN score returned", w =>
        {
            var huge = w.User.Select(x => MathF.CopySign(3e38f, x)).ToArray();
            var dest = new RankedItem[10];
            int written = w.Reranker.RerankCatalogue(huge, w.Target, dest);
            written.Should().BeInRange(0, 10);
            dest[..written].Should().OnlyContain(r => !float.IsNaN(r.Score));
        }),
        Throws<ArgumentOutOfRangeException>("R10", "negative candidate id", w => w.Reranker.RerankCandidates(w.User, w.Target, [3, -4], new RankedItem[3]), "candidates", "Item id at position 1 is -4; valid ids are 1..50*"),
        Throws<ArgumentOutOfRangeException>("R11", "candidate id 0 (padding)", w => w.Reranker.RerankCandidates(w.User, w.Target, [0], new RankedItem[3]), "candidates", "*0 is padding*"),
        Throws<ArgumentOutOfRangeException>("R12", "candidate id beyond the catalogue", w => w.Reranker.RerankCandidates(w.User, w.Target, [N + 1], new RankedItem[3]), "candidates", "*is 51; valid ids are 1..50*"),
        Throws<ArgumentOutOfRangeException>("R12", "excluded id beyond the catalogue", w => w.Reranker.RerankCatalogue(w.User, w.Target, new RankedItem[3], [int.MaxValue]), "excludedItems"),
        Throws<ArgumentOutOfRangeException>("R12", "history id 0", w => w.Reranker.Recommend([1, 0, 2], w.Target, 3), "history", "*position 1 is 0*"),
        Throws<ArgumentOutOfRangeException>("R12", "history id negative", w => w.Reranker.Recommend([-7], w.Target, 3), "history"),
        Throws<ArgumentOutOfRangeException>("R12", "history id beyond the catalogue", w => w.Reranker.Recommend([N + 1], w.Target, 3), "history"),
        Throws<ArgumentOutOfRangeException>("R12", "exclusion mask id beyond the catalogue", _ => new ExclusionMask(2, N).Add(0, N + 1), "itemId"),
        new("R13", "empty history: ranked from the encoder's empty-history representation", w =>
        {
            var ranked = w.Reranker.Recommend([], w.Target, 5);
            var zero = new float[D];
            var expected = new RankedItem[5];
            w.Reranker.RerankCatalogue(zero, w.Target, expected).Should().Be(5);
            ranked.Should().Equal(expected);
        }),
        new("R14", "history longer than the model's maximum: the most recent items are kept", w =>
        {
            var history = Enumerable.Range(0, 1000).Select(i => (i % N) + 1).ToArray();
            w.Reranker.Recommend(history, w.Target, 5).Should().Equal(w.Reranker.Recommend(history[^MaxLength..], w.Target, 5));
        }),
        new("R15", "duplicate candidates count once", w =>
        {
            var withDuplicates = new RankedItem[10];
            var distinct = new RankedItem[10];
            int a = w.Reranker.RerankCandidates(w.User, w.Target, [5, 9, 5, 5, 12, 9], withDuplicates);
            int b = w.Reranker.RerankCandidates(w.User, w.Target, [5, 9, 12], distinct);
            a.Should().Be(3);
            withDuplicates[..a].Should().Equal(distinct[..b]);
        }),
        Throws<ArgumentOutOfRangeException>("R16", "K = 0 in Recommend", w => w.Reranker.Recommend([1], w.Target, 0), "count"),
        Throws<ArgumentOutOfRangeException>("R16", "K < 0 in Recommend", w => w.Reranker.Recommend([1], w.Target, int.MinValue), "count"),
        Throws<ArgumentException>("R16", "empty destination (K = 0)", w => w.Reranker.RerankCatalogue(w.User, w.Target, Span<RankedItem>.Empty), "destination", "*K ≥ 1*"),
        Throws<ArgumentOutOfRangeException>("R16", "K = 0 in a batch", w => w.Reranker.RerankBatch(w.User, w.Target, 0, new RankedItem[1], new int[1]), "count"),
        Throws<ArgumentOutOfRangeException>("R16", "slate size 0", w => _ = new PolicyContext(w.Encoder, w.Target, [ReadOnlyMemory<int>.Empty], w.User, slateSize: 0), "slateSize"),
        new("R17", "K larger than the candidates: all of them, and no larger array", w =>
        {
            w.Reranker.Recommend([1], w.Target, int.MaxValue).Should().HaveCount(N, "K is capped at the catalogue size before allocating");
            var dest = new RankedItem[20];
            w.Reranker.RerankCandidates(w.User, w.Target, [4, 8, 15], dest).Should().Be(3);
            dest[3..].Should().OnlyContain(r => r.ItemId == 0, "unused entries are not written");
            var slates = new int[N + 10];
            new GreedyPolicy().Recommend(new PolicyContext(w.Encoder, w.Target, [ReadOnlyMemory<int>.Empty], w.User, slateSize: N + 10), slates);
            slates[N..].Should().OnlyContain(id => id == 0, "unfillable slots are padding 0");
            slates[..N].Should().OnlyHaveUniqueItems().And.NotContain(0);
        }),
        new("R18", "target excluded: never returned, the rest ranked as before", w =>
        {
            var all = w.Reranker.Recommend([3, 5], w.Target, N);
            var without = w.Reranker.Recommend([3, 5], w.Target, N, [w.Target.ItemId]);
            without.Should().Equal(all.Where(r => r.ItemId != w.Target.ItemId));
        }),
        Throws<ArgumentOutOfRangeException>("R19", "target id 0", w => w.Reranker.PrepareTarget(0), "targetItemId", "*1..50 (0 is padding)*"),
        Throws<ArgumentOutOfRangeException>("R19", "target id negative", w => w.Reranker.PrepareTarget(-3), "targetItemId"),
        Throws<ArgumentOutOfRangeException>("R19", "target id beyond the catalogue", w => GuidanceTarget.Create(w.Items, N + 1), "targetItemId"),
        Throws<ArgumentNullException>("R20", "null encoder", w => _ = new IpgReranker(null!), "encoder"),
        Throws<ArgumentNullException>("R20", "null table", _ => GuidanceTarget.Create(null!, 1), "items"),
        Throws<ArgumentNullException>("R20", "null target (Recommend)", w => w.Reranker.Recommend([1], null!, 3), "target"),
        Throws<ArgumentNullException>("R20", "null target (RerankCandidates)", w => w.Reranker.RerankCandidates(w.User, null!, [1], new RankedItem[1]), "target"),
        Throws<ArgumentNullException>("R20", "null target (RerankBatch)", w => w.Reranker.RerankBatch(w.User, (GuidanceTarget)null!, 1, new RankedItem[1], new int[1]), "target"),
        Throws<ArgumentNullException>("R20", "null targets (RerankBatch per user)", w => w.Reranker.RerankBatch(w.User, (IReadOnlyList<GuidanceTarget>)null!, 1, new RankedItem[1], new int[1]), "targets"),
        Throws<ArgumentException>("R20", "one target per user (RerankBatch per user)", w => w.Reranker.RerankBatch(w.User, [w.Target, w.Target], 1, new RankedItem[1], new int[1]), "targets", "*one target per user*"),
        Throws<ArgumentException>("R19", "empty campaign", w => w.Reranker.PrepareCampaign([]), "members"),
        Throws<ArgumentException>("R19", "campaign weight ≤ 0", w => w.Reranker.PrepareCampaign([new WeightedItem(1, 0f)]), "members", "*finite and positive*"),
        Throws<ArgumentException>("R19", "campaign repeats an id", w => w.Reranker.PrepareCampaign([new WeightedItem(2, 1f), new WeightedItem(2, 3f)]), "members", "*more than once*"),
        Throws<ArgumentOutOfRangeException>("R19", "campaign id beyond the catalogue", w => w.Reranker.PrepareCampaign([new WeightedItem(N + 1, 1f)]), "members"),
        Throws<ArgumentException>("R19", "zero target vector", w => w.Reranker.PrepareTarget(new float[D]), "vector", "*zero*"),
        Throws<ArgumentException>("R19", "target vector of the wrong length", w => w.Reranker.PrepareTarget(new float[D + 1]), "vector"),
        Throws<ArgumentNullException>("R20", "null histories (context)", w => _ = new PolicyContext(w.Encoder, w.Target, null!, w.User), "histories"),
        Throws<ArgumentNullException>("R20", "null context (policy)", w => new IpgPolicy(w.Reranker).Recommend(null!, new int[1]), "context"),
        Throws<ArgumentNullException>("R20", "null histories (EncodeBatch)", w => w.Encoder.EncodeBatch(null!, new float[D]), "histories"),
        Throws<ArgumentNullException>("R20", "null re-ranker (policy)", w => _ = new IpgPolicy(null!), "reranker"),
        new("R21", "empty candidate list, or every item excluded: nothing written", w =>
        {
            var dest = new RankedItem[3];
            w.Reranker.RerankCandidates(w.User, w.Target, [], dest).Should().Be(0);
            w.Reranker.RerankCandidates(w.User, w.Target, [4, 5], dest, [4, 5]).Should().Be(0);
            w.Reranker.Recommend([1], w.Target, 3, Enumerable.Range(1, N).ToArray()).Should().BeEmpty();
            dest.Should().OnlyContain(r => r.ItemId == 0);
        }),
        new("R23", "exact look-ahead through an embedding-only call: scored by its shortlist model, no exception", w =>
        {
            var exact = new IpgReranker(w.Encoder, new IpgOptions { Strength = 1f, Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, 5) });
            var linear = new IpgReranker(w.Encoder, new IpgOptions { Strength = 1f, Guidance = LinearGuidance.Default });
            var a = new RankedItem[3];
            var b = new RankedItem[3];
            exact.RerankCatalogue(w.User, w.Target, a).Should().Be(3);
            linear.RerankCatalogue(w.User, w.Target, b);
            a.Should().Equal(b);
        }),
        Throws<ArgumentException>("R22", "batch destination too short", w => w.Reranker.RerankBatch(w.User.Concat(w.User).ToArray(), w.Target, 3, new RankedItem[5], new int[2]), "destination", "*2 × 3*got 5*"),
        Throws<ArgumentException>("R22", "exclusion mask of another shape", w => w.Reranker.RerankBatch(w.User, w.Target, 1, new RankedItem[1], new int[1], new ExclusionMask(1, N + 1)), "exclusions", "*1 users × 51 items*"),
        Throws<ArgumentException>("R22", "policy slates too short", w => new GreedyPolicy().Recommend(new PolicyContext(w.Encoder, w.Target, [ReadOnlyMemory<int>.Empty], w.User, slateSize: 4), new int[3]), "slates"),
    ];

    public static TheoryData<string> Rows()
    {
        var data = new TheoryData<string>();
        foreach (var row in s_rows)
        {
            data.Add($"{row.Id} {row.What}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Bad_input_gives_the_documented_outcome_and_leaves_state_unchanged(string row)
    {
        var world = new World();
        string before = world.Fingerprint();
        var target = world.Target;

        s_rows.Single(r => $"{r.Id} {r.What}" == row).Check(world);

        world.Fingerprint().Should().Be(before, "the shared encoder, re-ranker, target and table answer exactly as before");
        world.Target.Should().BeSameAs(target);
    }

    [Fact]
    public void The_matrix_covers_every_documented_core_row()
    {
        s_rows.Select(r => r.Id).Distinct().Should().HaveCount(23);
    }

    private static float[] WithBad(float[] user, int index, float value)
    {
        var copy = (float[])user.Clone();
        copy[index] = value;
        return copy;
    }

    private static float[] Logits(World w, int[] history)
    {
        var user = new float[D];
        w.Encoder.Encode(history, user);
        return Enumerable.Range(1, N).Select(i => System.Numerics.Tensors.TensorPrimitives.Dot(user, w.Items[i])).ToArray();
    }

    /// <summary>
    /// Wraps an encoder: with no threshold, every user vector it returns is NaN; with one, probabilities of logits
    /// above it become <paramref name="replacement"/>.
    /// </summary>
    private sealed class NaNEncoder(InMemoryEncoder inner, float? nanProbabilitiesAbove = null, float replacement = float.NaN) : DelegatingEncoder(inner)
    {
        public override void Encode(ReadOnlySpan<int> history, Span<float> destination)
        {
            Inner.Encode(history, destination);
            if (nanProbabilitiesAbove is null)
            {
                destination[..Dimension].Fill(float.NaN);
            }
        }

        public override void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
        {
            System.Numerics.Tensors.TensorPrimitives.Sigmoid(logits, destination);
            if (nanProbabilitiesAbove is float threshold)
            {
                for (int i = 0; i < logits.Length; i++)
                {
                    if (logits[i] > threshold)
                    {
                        destination[i] = replacement;
                    }
                }
            }
        }
    }
}
