namespace Ipg.Tests;

public class ExclusionMaskTests
{
    [Fact]
    public void Adds_counts_copies_and_clears_per_user()
    {
        var mask = new ExclusionMask(3, 130);
        mask.Add(0, 1);
        mask.Add(0, 64);
        mask.Add(0, 130);
        mask.Add(2, 64);
        mask.Add(2, 64);

        mask.Contains(0, 64).Should().BeTrue();
        mask.Contains(1, 64).Should().BeFalse();
        mask.Count(0).Should().Be(3);
        mask.Count(2).Should().Be(1);

        var copy = new ExclusionMask(3, 130);
        copy.CopyFrom(mask);
        copy.Contains(0, 130).Should().BeTrue();

        mask.Clear();
        mask.Count(0).Should().Be(0);
        copy.Count(0).Should().Be(3);
    }

    [Fact]
    public void Validates_arguments()
    {
        FluentActions.Invoking(() => new ExclusionMask(-1, 3)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userCount");
        FluentActions.Invoking(() => new ExclusionMask(1, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemCount");
        var mask = new ExclusionMask(2, 3);
        FluentActions.Invoking(() => mask.Add(2, 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("user");
        FluentActions.Invoking(() => mask.Add(0, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
        FluentActions.Invoking(() => mask.Contains(0, 4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
        FluentActions.Invoking(() => mask.CopyFrom(new ExclusionMask(2, 4))).Should().Throw<ArgumentException>().WithParameterName("source");
    }
}
