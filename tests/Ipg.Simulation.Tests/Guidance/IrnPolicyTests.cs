using System.Collections.Concurrent;
using FluentAssertions;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation.Guidance;
using Xunit;

namespace Ipg.Simulation.Tests.Guidance;

public sealed class IrnPolicyTests
{
    private const int Items = 10;

    /// <summary>
    /// A hand-made scorer whose greedy path is known: the best next item is the one after the history's last
    /// (item i → i + 1, 10 → 1), and scores fall with the distance around the ring, so when that item is excluded
    /// the next one after it wins. Records the user ids it is called with.
    /// </summary>
    private sealed class RingScorer(int users = 5) : ITargetConditionedScorer
    {
        public ConcurrentBag<int> SeenUsers { get; } = [];

        public ConcurrentBag<int> SeenTargets { get; } = [];

        public int Calls;

        public int ItemCount => Items;

        public int UserCount => users;

        public int MaxHistoryLength => 4;

        public void ScoreBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, ReadOnlySpan<int> targetIds, ReadOnlySpan<int> userIds, Span<float> scores, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            for (int r = 0; r < histories.Count; r++)
            {
                histories[r].Length.Should().BeLessThanOrEqualTo(MaxHistoryLength, "the policy passes at most L items");
                SeenUsers.Add(userIds[r]);
                SeenTargets.Add(targetIds[r]);
                var h = histories[r].Span;
                int last = h.IsEmpty ? 0 : h[^1];
                for (int c = 0; c < Items; c++)
                {
                    int item = c + 1;
                    int distance = ((item - last - 1) % Items + Items) % Items; // 0 for last + 1
                    scores[r * Items + c] = -distance;
                }
            }
        }
    }

    private static readonly ItemEmbeddingTable s_table = ItemEmbeddingTable.FromItemRows(Items, 2, Enumerable.Range(0, 2 * Items).Select(i => (float)(i % 3)).ToArray());
    private static readonly InMemoryEncoder s_encoder = new(s_table);

    private static PolicyContext Context(GuidanceTarget target, int round, ExclusionMask? mask, params int[][] histories) =>
        new(s_encoder, target, histories.Select(h => (ReadOnlyMemory<int>)h).ToArray(), new float[histories.Length * 2], mask, slateSize: 1, round: round);

    private static int[] Recommend(IrnPolicy policy, PolicyContext context)
    {
        var slates = new int[context.UserCount * context.SlateSize];
        policy.Recommend(context, slates);
        return slates;
    }

    [Fact]
    public void Open_loop_plans_the_greedy_path_at_round_zero_and_follows_it_whatever_was_clicked()
    {
        var scorer = new RingScorer();
        var policy = new IrnPolicy(scorer, IrnPlanning.OpenLoop, pathLength: 5);
        var target = GuidanceTarget.Create(s_table, 7);

        Recommend(policy, Context(target, 0, null, [3])).Should().Equal(4);
        // The user clicked item 9 meanwhile: the open loop does not look.
        Recommend(policy, Context(target, 1, null, [3, 9])).Should().Equal(5);
        Recommend(policy, Context(target, 2, null, [3, 9])).Should().Equal(6);
        Recommend(policy, Context(target, 3, null, [3, 9, 1])).Should().Equal(7);
        scorer.Calls.Should().Be(5, "the five path steps are scored once, at round 0");
        scorer.SeenTargets.Should().OnlyContain(t => t == 7);
    }

    [Fact]
    public void Open_loop_path_goes_on_past_the_target_and_is_extended_when_the_run_outlasts_it()
    {
        var policy = new IrnPolicy(new RingScorer(), IrnPlanning.OpenLoop, pathLength: 3);
        var target = GuidanceTarget.Create(s_table, 5);
        var shown = Enumerable.Range(0, 8).Select(r => Recommend(policy, Context(target, r, null, [3]))[0]).ToArray();

        // 4, 5 (the target), 6, … — the target appears once and the path continues after it; 3 is history.
        shown.Should().Equal(4, 5, 6, 7, 8, 9, 10, 1);
    }

    [Fact]
    public void Path_skips_history_items_context_exclusions_and_its_own_items_and_ends_when_nothing_is_left()
    {
        var mask = new ExclusionMask(1, Items);
        mask.Add(0, 4);
        var policy = new IrnPolicy(new RingScorer(), IrnPlanning.OpenLoop, pathLength: 12);
        var target = GuidanceTarget.Create(s_table, 1);
        var shown = Enumerable.Range(0, 10).Select(r => Recommend(policy, Context(target, r, mask, [9, 3]))[0]).ToArray();

        // From 3: 4 is excluded → 5, 6, 7, 8; 9 is in the history → 10, 1, 2; then every item is used up.
        shown.Should().Equal(5, 6, 7, 8, 10, 1, 2, 0, 0, 0);
    }

    [Fact]
    public void Closed_loop_replans_from_the_real_history_every_round()
    {
        var scorer = new RingScorer();
        var policy = new IrnPolicy(scorer, IrnPlanning.ClosedLoop);
        var target = GuidanceTarget.Create(s_table, 7);

        Recommend(policy, Context(target, 0, null, [3])).Should().Equal(4);
        Recommend(policy, Context(target, 1, null, [3, 9])).Should().Equal(10);
        var mask = new ExclusionMask(1, Items);
        mask.Add(0, 2);
        Recommend(policy, Context(target, 2, mask, [3, 9, 1])).Should().Equal(4); // 2 is excluded, 3 is in the history
        scorer.Calls.Should().Be(3, "one scoring per round");
    }

    [Fact]
    public void Closed_loop_slate_holds_the_best_items_of_the_first_step()
    {
        var policy = new IrnPolicy(new RingScorer(), IrnPlanning.ClosedLoop);
        var target = GuidanceTarget.Create(s_table, 7);
        var context = new PolicyContext(s_encoder, target, [new[] { 3, 5 }], new float[2], null, slateSize: 3);
        var slates = new int[3];
        policy.Recommend(context, slates);
        slates.Should().Equal(6, 7, 8);
    }

    [Fact]
    public void A_new_run_or_a_new_round_zero_plans_afresh()
    {
        var policy = new IrnPolicy(new RingScorer(), IrnPlanning.OpenLoop, pathLength: 4);
        var first = GuidanceTarget.Create(s_table, 7);
        Recommend(policy, Context(first, 0, null, [3])).Should().Equal(4);
        Recommend(policy, Context(first, 1, null, [3])).Should().Equal(5);

        // Another run (its own prepared target) starts from its own history.
        var second = GuidanceTarget.Create(s_table, 7);
        Recommend(policy, Context(second, 0, null, [8])).Should().Equal(9);
        Recommend(policy, Context(first, 2, null, [3])).Should().Equal(6); // the first run keeps its plan

        // Round 0 again on the same target object: a new run, a new plan.
        Recommend(policy, Context(first, 0, null, [1])).Should().Equal(2);
    }

    [Fact]
    public void Users_are_the_logs_one_based_ids_and_unknown_beyond_the_model()
    {
        var scorer = new RingScorer(users: 2);
        var policy = new IrnPolicy(scorer, IrnPlanning.ClosedLoop);
        Recommend(policy, Context(GuidanceTarget.Create(s_table, 7), 0, null, [1], [2], [3]));
        scorer.SeenUsers.Order().Should().Equal(0, 1, 2);

        var mapped = new RingScorer(users: 2);
        Recommend(new IrnPolicy(mapped, IrnPlanning.ClosedLoop, userIds: [2, 0]), Context(GuidanceTarget.Create(s_table, 7), 0, null, [1], [2]));
        mapped.SeenUsers.Order().Should().Equal(0, 2);
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var scorer = new RingScorer(users: 2);
        FluentActions.Invoking(() => new IrnPolicy(null!, IrnPlanning.OpenLoop)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new IrnPolicy(scorer, (IrnPlanning)7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("planning");
        FluentActions.Invoking(() => new IrnPolicy(scorer, IrnPlanning.OpenLoop, pathLength: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("pathLength");
        FluentActions.Invoking(() => new IrnPolicy(scorer, IrnPlanning.OpenLoop, userIds: [3])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userIds");

        var policy = new IrnPolicy(scorer, IrnPlanning.ClosedLoop);
        var campaign = GuidanceTarget.CreateCampaign(s_table, [new WeightedItem(2, 1f), new WeightedItem(3, 1f)]);
        FluentActions.Invoking(() => policy.Recommend(Context(campaign, 0, null, [1]), new int[1])).Should().Throw<ArgumentException>().WithMessage("*one target item*");
        FluentActions.Invoking(() => policy.Recommend(Context(GuidanceTarget.Create(s_table, 2), 0, null, [1], [2]), new int[1])).Should().Throw<ArgumentException>().WithParameterName("slates");

        var wider = ItemEmbeddingTable.FromItemRows(Items + 1, 2, new float[2 * (Items + 1)]);
        var other = new PolicyContext(new InMemoryEncoder(wider), GuidanceTarget.Create(wider, 2), [new[] { 1 }], new float[2]);
        FluentActions.Invoking(() => policy.Recommend(other, new int[1])).Should().Throw<ArgumentException>().WithMessage("*10 items*11*");
        new IrnPolicy(scorer, IrnPlanning.OpenLoop).Name.Should().Be("IRN (open loop)");
        policy.Name.Should().Be("IRN (closed loop)");
        policy.UsesUserEmbeddings.Should().BeFalse();
    }
}
