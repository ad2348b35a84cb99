using System.Text;
using Ipg.Cli;

namespace Ipg.Cli.Tests;

/// <summary>The CSV files are RFC 4180: fields with a comma, a quote or a line break are quoted, quotes doubled.</summary>
public sealed class CsvOutputTests
{
    private static string Write(IReadOnlyList<string> header, params IReadOnlyList<string>[] rows)
    {
        using var stream = new MemoryStream();
        CsvOutput.Write(stream, header, rows);
        return Encoding.UTF8.GetString(stream.ToArray()).TrimStart('\uFEFF');
    }

    [Fact]
    public void Fields_are_quoted_only_when_they_must_be_and_quotes_are_doubled()
    {
        string text = Write(["series", "setting"], ["plain", "0.5"], ["λ, cosine", "a \"quoted\" name"], ["two\nlines", ""]);

        text.Should().Be("series,setting\nplain,0.5\n\"λ, cosine\",\"a \"\"quoted\"\" name\"\n\"two\nlines\",\n");
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_is_refused() =>
        FluentActions.Invoking(() => Write(["a", "b"], ["only one"])).Should().Throw<InvalidOperationException>();

    [Theory]
    [InlineData(double.NaN, "")]
    [InlineData(double.PositiveInfinity, "")]
    [InlineData(-0.0876, "-0.088")]
    public void Numbers_are_invariant_and_non_finite_ones_are_empty(double value, string expected) =>
        CsvOutput.Number(value, "F3").Should().Be(expected);
}
