using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class GreedyPolicyTests
{
    [Fact]
    public void Hand_case_ranks_by_logit()
    {
        // User (0.5, 0.5): logits [0.5, 0.5, 1, −0.25] → 3, then the tie 1/2 by lower id, then 4.
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[0.5f, 0.5f]], slateSize: 4);
        PolicyTestKit.Run(new GreedyPolicy(), context).Should().Equal(3, 1, 2, 4);
    }

    [Fact]
    public void Matches_a_full_sort_of_logits_with_exclusions()
    {
        var encoder = PolicyTestKit.RandomEncoder();
        var users = PolicyTestKit.RandomUsers(25, 6, seed: 3);
        var mask = new ExclusionMask(25, 80);
        var random = new Random(4);
        for (int u = 0; u < 25; u++)
        {
            for (int e = 0; e < 10; e++)
            {
                mask.Add(u, random.Next(1, 81));
            }
        }

        var slates = PolicyTestKit.Run(new GreedyPolicy(), PolicyTestKit.Context(encoder, 5, users, mask, slateSize: 5));

        for (int u = 0; u < 25; u++)
        {
            var expected = Enumerable.Range(1, 80)
                .Where(id => !mask.Contains(u, id))
                .OrderByDescending(id => NaiveReference.Dot(Array.ConvertAll(users[u], x => (double)x), Array.ConvertAll(encoder.ItemEmbeddings[id].ToArray(), x => (double)x)))
                .Take(5);
            slates.AsSpan(u * 5, 5).ToArray().Should().Equal(expected);
        }
    }

    [Fact]
    public void Unfillable_slots_are_padding_zero()
    {
        var mask = new ExclusionMask(1, 4);
        mask.Add(0, 1);
        mask.Add(0, 3);
        mask.Add(0, 4);
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[0.5f, 0.5f]], mask, slateSize: 3);
        PolicyTestKit.Run(new GreedyPolicy(), context).Should().Equal(2, 0, 0);
    }

    [Fact]
    public void Validates_arguments()
    {
        FluentActions.Invoking(() => new GreedyPolicy(" ")).Should().Throw<ArgumentException>().WithParameterName("name");
        var policy = new GreedyPolicy();
        FluentActions.Invoking(() => policy.Recommend(null!, new int[1])).Should().Throw<ArgumentNullException>().WithParameterName("context");
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[0.5f, 0.5f], [1f, 0f]], slateSize: 2);
        FluentActions.Invoking(() => policy.Recommend(context, new int[3])).Should().Throw<ArgumentException>().WithParameterName("slates");
    }

    [Fact]
    public void Honours_cancellation()
    {
        var context = PolicyTestKit.Context(PolicyTestKit.RandomEncoder(), 2, PolicyTestKit.RandomUsers(10, 6, 1));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        FluentActions.Invoking(() => new GreedyPolicy().Recommend(context, new int[10], cts.Token)).Should().Throw<OperationCanceledException>();
    }
}
