namespace Ipg.Tests;

public class GuidanceTargetTests
{
    [Fact]
    public void Precomputes_target_dots_and_cosines_per_item()
    {
        // Hand table, target 2 = (0, 1): dots [0, 1, 1, 0.5]; cosines [0, 1, 1/√2, 0.5/√1.25].
        var target = GuidanceTarget.Create(TestData.HandTable(), 2);
        target.ItemId.Should().Be(2);
        target.Norm.Should().Be(1f);
        target.Embedding.ToArray().Should().Equal(0f, 1f);
        target.TargetDots.ToArray().Should().Equal(0f, 0f, 1f, 1f, 0.5f);
        target.TargetCosines.ToArray().Should().Equal([0f, 0f, 1f, 0.70710678f, 0.4472136f], (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Zero_norm_items_have_cosine_zero()
    {
        var table = ItemEmbeddingTable.FromItemRows(2, 2, [0, 0, 1, 0]);
        GuidanceTarget.Create(table, 2).TargetCosines[1].Should().Be(0f);
        GuidanceTarget.Create(table, 1).TargetCosines[2].Should().Be(0f);
    }

    [Fact]
    public void Validates_arguments()
    {
        FluentActions.Invoking(() => GuidanceTarget.Create(null!, 1)).Should().Throw<ArgumentNullException>().WithParameterName("items");
        FluentActions.Invoking(() => GuidanceTarget.Create(TestData.HandTable(), 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetItemId");
        FluentActions.Invoking(() => GuidanceTarget.Create(TestData.HandTable(), 5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetItemId");
    }
}
