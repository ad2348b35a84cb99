using FluentAssertions;
using Ipg.Cli;
using Xunit;

namespace Ipg.Cli.Tests;

/// <summary>The help names the program as users type it (<c>ipg</c>), not by its assembly name.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData(new[] { "--help" }, "  ipg [command] [options]")]
    [InlineData(new[] { "reproduce", "--help" }, "  ipg reproduce [options]")]
    [InlineData(new[] { "merge", "--help" }, "  ipg merge <folders>... [options]")]
    public void Help_usage_line_says_ipg(string[] args, string usage)
    {
        var output = new StringWriter();
        int code = IpgCommandLine.Invoke(args, new StringWriter(), output);

        code.Should().Be(0);
        string text = output.ToString();
        text.Should().Contain("Usage:").And.Contain(usage);
        text.Should().NotContain("Ipg.Cli [").And.NotContain("Ipg.Cli reproduce");
    }

    [Theory]
    [InlineData("  Ipg.Cli [command] [options]\n", "  ipg [command] [options]\n")]
    [InlineData("  Ipg.Cli\r\n", "  ipg\r\n")]
    [InlineData("Ipg.Cli at the start of a line stays\n", "Ipg.Cli at the start of a line stays\n")]
    [InlineData("  Ipg.Cli.dll is not the program name\n", "  Ipg.Cli.dll is not the program name\n")]
    [InlineData("  a line without a newline", "  a line without a newline")]
    public void Writer_renames_only_usage_lines(string input, string expected)
    {
        var inner = new StringWriter();
        using (var writer = new ProgramNameWriter(inner, "Ipg.Cli", "ipg"))
        {
            writer.Write(input);
        }

        inner.ToString().Should().Be(expected);
    }
}
