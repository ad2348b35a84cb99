using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class RandomPolicyTests
{
    [Fact]
    public void Is_deterministic_and_varies_with_round_and_seed()
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 500);
        var users = PolicyTestKit.RandomUsers(50, 6, seed: 1);
        var a = PolicyTestKit.Run(new RandomPolicy(7), PolicyTestKit.Context(encoder, 3, users, slateSize: 3, round: 2));
        var b = PolicyTestKit.Run(new RandomPolicy(7), PolicyTestKit.Context(encoder, 3, users, slateSize: 3, round: 2));
        var otherRound = PolicyTestKit.Run(new RandomPolicy(7), PolicyTestKit.Context(encoder, 3, users, slateSize: 3, round: 3));
        var otherSeed = PolicyTestKit.Run(new RandomPolicy(8), PolicyTestKit.Context(encoder, 3, users, slateSize: 3, round: 2));

        b.Should().Equal(a);
        otherRound.Should().NotEqual(a);
        otherSeed.Should().NotEqual(a);
    }

    [Fact]
    public void Never_repeats_within_a_slate_nor_returns_excluded_items_even_when_almost_all_are_excluded()
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 80);
        var mask = new ExclusionMask(30, 80);
        for (int u = 0; u < 30; u++)
        {
            for (int id = 1; id <= 75; id++)
            {
                mask.Add(u, id);
            }
        }

        var slates = PolicyTestKit.Run(new RandomPolicy(1), PolicyTestKit.Context(encoder, 3, PolicyTestKit.RandomUsers(30, 6, 2), mask, slateSize: 6));
        for (int u = 0; u < 30; u++)
        {
            var slate = slates.AsSpan(u * 6, 6).ToArray();
            slate[..5].Should().BeEquivalentTo([76, 77, 78, 79, 80]);
            slate[5].Should().Be(0, "only five items are left");
        }
    }

    [Fact]
    public void Is_roughly_uniform()
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 10);
        var users = PolicyTestKit.RandomUsers(20000, 6, seed: 3);
        var slates = PolicyTestKit.Run(new RandomPolicy(5), PolicyTestKit.Context(encoder, 3, users));
        var counts = slates.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        counts.Keys.Should().BeEquivalentTo(Enumerable.Range(1, 10));
        counts.Values.Should().AllSatisfy(c => c.Should().BeInRange(1800, 2200));
    }
}
