using Ipg.Simulation.Analysis;

namespace Ipg.Simulation.Tests.Analysis;

public class RankAgreementTests
{
    [Fact]
    public void Spearman_hand_cases()
    {
        RankAgreement.Spearman([1, 2, 3, 4], [10, 20, 30, 40]).Should().BeApproximately(1, 1e-12);
        RankAgreement.Spearman([1, 2, 3, 4], [4, 3, 2, 1]).Should().BeApproximately(-1, 1e-12);

        // Ranks a = 1..5, b = 2,1,4,3,5: Σd² = 4, ρ = 1 − 6·4 / (5·(25 − 1)) = 0.8.
        RankAgreement.Spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).Should().BeApproximately(0.8, 1e-12);

        // Monotone but not linear: Spearman 1, Pearson below 1.
        RankAgreement.Spearman([1, 2, 3, 4], [1, 8, 27, 64]).Should().BeApproximately(1, 1e-12);
    }

    [Fact]
    public void Pearson_hand_case()
    {
        // a − ā = (−1, 0, 1), b − b̄ = (−4/3, −1/3, 5/3): cov = 3, Σ(a − ā)² = 2, Σ(b − b̄)² = 42/9.
        RankAgreement.Pearson([1, 2, 3], [1, 2, 4]).Should().BeApproximately(3 / Math.Sqrt(2 * 42.0 / 9), 1e-12);
    }

    [Fact]
    public void Constant_or_short_vectors_give_NaN()
    {
        RankAgreement.Pearson([1, 1, 1], [1, 2, 3]).Should().Be(double.NaN);
        RankAgreement.Spearman([5], [3]).Should().Be(double.NaN);
    }

    [Fact]
    public void Top_k_overlap_hand_cases()
    {
        double[] a = [5, 4, 3, 2, 1];
        double[] b = [1, 2, 3, 4, 5];
        RankAgreement.TopKOverlap(a, b, 2).Should().Be(0);
        RankAgreement.TopKOverlap(a, b, 3).Should().BeApproximately(1 / 3.0, 1e-12);
        RankAgreement.TopKOverlap(a, a, 2).Should().Be(1);
        RankAgreement.TopKOverlap(a, b, 10).Should().Be(1, "K is capped at the length, and all five are shared");
        RankAgreement.TopKOverlap([], [], 3).Should().Be(double.NaN);
    }

    [Fact]
    public void Ties_go_to_the_lower_index_and_NaN_is_never_selected()
    {
        RankAgreement.TopIndices([1, 1, 1], 2).Should().Equal(0, 1);
        RankAgreement.TopIndices([double.NaN, 2, 3], 3).Should().Equal(2, 1);
        RankAgreement.RankOf([3, 5, 5, 1], 2).Should().Be(1);
        RankAgreement.RankOf([3, 5, 5, 1], 1).Should().Be(0);
        RankAgreement.RankOf([3, 5, 5, 1], 0).Should().Be(2);
        RankAgreement.RankOf([3, 5, 5, 1], 3).Should().Be(3);
    }

    [Fact]
    public void Bad_arguments_name_the_parameter()
    {
        FluentActions.Invoking(() => RankAgreement.Spearman([1, 2], [1, 2, 3])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("b");
        FluentActions.Invoking(() => RankAgreement.TopKOverlap([1, 2], [1, 2], 0)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("k");
        FluentActions.Invoking(() => RankAgreement.RankOf([1, 2], 2)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("index");
    }
}
