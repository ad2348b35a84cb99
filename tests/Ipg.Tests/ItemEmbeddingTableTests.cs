namespace Ipg.Tests;

public class ItemEmbeddingTableTests
{
    [Fact]
    public void Rows_are_indexed_by_item_id_with_padding_row_zero()
    {
        var table = ItemEmbeddingTable.FromItemRows(2, 3, [1, 2, 3, 4, 5, 6]);
        table.ItemCount.Should().Be(2);
        table.Dimension.Should().Be(3);
        table[0].ToArray().Should().Equal(0f, 0f, 0f);
        table[2].ToArray().Should().Equal(4f, 5f, 6f);
        table.ItemRows.ToArray().Should().Equal(1f, 2f, 3f, 4f, 5f, 6f);
        table.Rows.Length.Should().Be(9);
        table.Norms[2].Should().BeApproximately(MathF.Sqrt(77f), 1e-5f);
    }

    [Fact]
    public void Copies_its_input()
    {
        float[] rows = [0, 0, 1, 1];
        var table = new ItemEmbeddingTable(1, 2, rows);
        rows[2] = 9;
        table[1][0].Should().Be(1f);
    }

    [Fact]
    public void Validates_arguments()
    {
        FluentActions.Invoking(() => new ItemEmbeddingTable(0, 2, [])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemCount");
        FluentActions.Invoking(() => new ItemEmbeddingTable(1, 0, [])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dimension");
        FluentActions.Invoking(() => new ItemEmbeddingTable(2, 2, new float[4])).Should().Throw<ArgumentException>().WithParameterName("rowsIncludingPadding").WithMessage("*6*");
        FluentActions.Invoking(() => new ItemEmbeddingTable(1, 2, [0, 0, float.NaN, 1])).Should().Throw<ArgumentException>().WithParameterName("rowsIncludingPadding").WithMessage("*item 1, component 0*");
        FluentActions.Invoking(() => ItemEmbeddingTable.FromItemRows(2, 2, new float[3])).Should().Throw<ArgumentException>().WithParameterName("itemRows");
        FluentActions.Invoking(() => ItemEmbeddingTable.FromItemRows(1, 1, [float.PositiveInfinity])).Should().Throw<ArgumentException>();
        var table = ItemEmbeddingTable.FromItemRows(2, 1, [1, 2]);
        FluentActions.Invoking(() => table[3].ToArray()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
        FluentActions.Invoking(() => table[-1].ToArray()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
    }

    [Fact]
    public void Biases_are_copied_validated_and_absent_by_default()
    {
        float[] biases = [0f, 0.5f, -1f];
        var table = new ItemEmbeddingTable(2, 1, [0, 1, 2], biases);
        biases[1] = 9;
        table.HasBiases.Should().BeTrue();
        table.Biases.ToArray().Should().Equal(0f, 0.5f, -1f);
        new ItemEmbeddingTable(2, 1, [0, 1, 2]).HasBiases.Should().BeFalse();
        FluentActions.Invoking(() => new ItemEmbeddingTable(2, 1, [0, 1, 2], [0f, 1f])).Should().Throw<ArgumentException>()
            .WithParameterName("biasesIncludingPadding").WithMessage("*itemCount + 1 = 3*");
        FluentActions.Invoking(() => new ItemEmbeddingTable(2, 1, [0, 1, 2], [0f, float.NaN, 1f])).Should().Throw<ArgumentException>()
            .WithParameterName("biasesIncludingPadding").WithMessage("*item 1*");
    }
}
