using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class Rec2InfPolicyTests
{
    [Fact]
    public void Hand_case_shortlists_by_logit_then_orders_by_target_similarity()
    {
        // User (0.5, 0.5), target 2: logits [0.5, 0.5, 1, −0.25] → top-2 by logit = {3, 1};
        // ê_j·ê_i: item 3 → 1, item 1 → 0 → slate 3, 1. With M = 4: all, by ê_j·ê_i [0, 1, 1, 0.5] → 2, 3, 4, 1.
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[0.5f, 0.5f]], slateSize: 4);
        PolicyTestKit.Run(new Rec2InfPolicy(2), context).Should().Equal(3, 1, 0, 0);
        PolicyTestKit.Run(new Rec2InfPolicy(4), context).Should().Equal(2, 3, 4, 1);
    }

    [Fact]
    public void Matches_a_two_stage_reference()
    {
        var encoder = PolicyTestKit.RandomEncoder(items: 120, d: 8, seed: 2);
        var users = PolicyTestKit.RandomUsers(20, 8, seed: 5);
        var context = PolicyTestKit.Context(encoder, 17, users, slateSize: 3);
        var slates = PolicyTestKit.Run(new Rec2InfPolicy(50), context);
        var table = encoder.ItemEmbeddings;
        double[] Row(int id) => Array.ConvertAll(table[id].ToArray(), x => (double)x);

        for (int u = 0; u < 20; u++)
        {
            var userVector = Array.ConvertAll(users[u], x => (double)x);
            var shortlist = Enumerable.Range(1, 120).OrderByDescending(id => NaiveReference.Dot(userVector, Row(id))).Take(50);
            var expected = shortlist.OrderByDescending(id => NaiveReference.Dot(Row(17), Row(id))).Take(3);
            slates.AsSpan(u * 3, 3).ToArray().Should().Equal(expected);
        }
    }

    [Fact]
    public void Rejects_bad_shortlist_size() =>
        FluentActions.Invoking(() => new Rec2InfPolicy(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("candidateCount");
}
