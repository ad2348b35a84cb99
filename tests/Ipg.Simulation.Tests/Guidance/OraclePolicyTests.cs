using Ipg.Policies;
using Ipg.Simulation;
using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Tests.Guidance;

public class OraclePolicyTests
{
    [Fact]
    public void Unbound_oracle_refuses_to_recommend()
    {
        var world = new GuidanceTestWorld(users: 10, items: 30, rounds: 5);
        var context = Context(world, 3, null);
        new OraclePolicy().Invoking(p => p.Recommend(context, new int[10])).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Bound_oracle_picks_the_largest_expected_gain_outside_the_exclusions()
    {
        var world = new GuidanceTestWorld(users: 10, items: 30, rounds: 5);
        var sim = world.Start;
        var mask = new ExclusionMask(10, 30);
        mask.Add(0, 1);
        mask.Add(0, 2);
        var policy = new OraclePolicy().BindTo(sim);
        var slates = new int[10 * 3];
        policy.Recommend(Context(world, 7, mask, 3), slates);

        var gains = new double[30];
        for (var u = 0; u < 10; u++)
        {
            sim.TargetGainsIfClicked(u, 7, gains); // gains[p] is item id p + 1
            var expected = Enumerable.Range(0, 30)
                .Where(i => !mask.Contains(u, i + 1))
                .Select(i => (Id: i + 1, Score: sim.ClickProbability(u, i + 1) * gains[i]))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id)
                .Take(3).Select(x => x.Id).ToArray();
            slates.AsSpan(u * 3, 3).ToArray().Should().Equal(expected);
        }
    }

    private static PolicyContext Context(GuidanceTestWorld world, int target, ExclusionMask? mask, int slate = 1)
    {
        var users = world.Start.UserCount;
        var histories = Enumerable.Range(0, users).Select(_ => ReadOnlyMemory<int>.Empty).ToArray();
        return new PolicyContext(world.Encoder, GuidanceTarget.Create(world.Encoder.ItemEmbeddings, target), histories, new float[users * world.Encoder.Dimension], mask, slate);
    }
}
