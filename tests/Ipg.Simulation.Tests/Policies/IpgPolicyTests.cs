using Ipg.Encoders;
using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class IpgPolicyTests
{
    [Fact]
    public void Slates_are_the_rerankers_top_items_per_user()
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 200, d: 8);
        var reranker = new IpgReranker(encoder, IpgOptions.Paper);
        var users = PolicyTestKit.RandomUsers(30, 8, seed: 9);
        var mask = new ExclusionMask(30, 200);
        for (int u = 0; u < 30; u++)
        {
            mask.Add(u, 1 + u);
        }

        var context = PolicyTestKit.Context(encoder, 11, users, mask, slateSize: 4);
        var slates = PolicyTestKit.Run(new IpgPolicy(reranker), context);

        for (int u = 0; u < 30; u++)
        {
            var expected = new RankedItem[4];
            reranker.RerankCatalogue(users[u], context.Target, expected, [1 + u]);
            slates.AsSpan(u * 4, 4).ToArray().Should().Equal(expected.Select(x => x.ItemId));
        }
    }

    [Fact]
    public void Hand_case_first_item()
    {
        var encoder = TestData.HandEncoder();
        var context = PolicyTestKit.Context(encoder, 2, [[0.5f, 0.5f]]);
        PolicyTestKit.Run(new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper)), context).Should().Equal(3);
    }

    [Fact]
    public void Refuses_a_context_over_another_table()
    {
        var policy = new IpgPolicy(new IpgReranker(TestData.HandEncoder()));
        var context = PolicyTestKit.Context(new InMemoryEncoder(TestData.HandTable()), 2, [[0.5f, 0.5f]]);
        FluentActions.Invoking(() => policy.Recommend(context, new int[1])).Should().Throw<ArgumentException>().WithParameterName("context");
        FluentActions.Invoking(() => new IpgPolicy(null!)).Should().Throw<ArgumentNullException>().WithParameterName("reranker");
    }
}
