using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class TargetSimilarityPolicyTests
{
    [Fact]
    public void Hand_case_adds_alpha_times_target_similarity()
    {
        // User (0.5, 0.5), target 2: logits [0.5, 0.5, 1, −0.25], ê_j·ê_i = [0, 1, 1, 0.5].
        // α = 10 → [0.5, 10.5, 11, 4.75] → 3, 2, 4, 1.   α = 0 → the greedy order 3, 1, 2, 4.
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[0.5f, 0.5f]], slateSize: 4);
        PolicyTestKit.Run(new TargetSimilarityPolicy(), context).Should().Equal(3, 2, 4, 1);
        PolicyTestKit.Run(new TargetSimilarityPolicy(0f), context).Should().Equal(3, 1, 2, 4);
    }

    [Fact]
    public void Hand_case_where_alpha_flips_the_order()
    {
        // User (2, 0), target 2: logits [2, 0, 2, −2]; ê_j·ê_i = [0, 1, 1, 0.5].
        // α = 1 → [2, 1, 3, −1.5] → 3, 1, 2, 4.   α = 10 → [2, 10, 12, 3] → 3, 2, 4, 1.
        var context = PolicyTestKit.Context(TestData.HandEncoder(), 2, [[2f, 0f]], slateSize: 4);
        PolicyTestKit.Run(new TargetSimilarityPolicy(1f), context).Should().Equal(3, 1, 2, 4);
        PolicyTestKit.Run(new TargetSimilarityPolicy(10f), context).Should().Equal(3, 2, 4, 1);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Rejects_bad_alpha(float alpha) =>
        FluentActions.Invoking(() => new TargetSimilarityPolicy(alpha)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha");
}
