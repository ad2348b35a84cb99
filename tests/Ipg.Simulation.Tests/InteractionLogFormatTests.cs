using System.Text;
using Ipg.Simulation;

namespace Ipg.Simulation.Tests;

public class InteractionLogFormatTests
{
    [Fact]
    public void Writes_one_based_lf_ascii_lines_and_reads_them_back()
    {
        // Users are zero-based in memory; item ids are 1..N in memory and in the file alike.
        Interaction[] log = [new(0, 1), new(5, 3), new(0, 3533), new(6033, 8)];
        using var stream = new MemoryStream();
        InteractionLogFormat.Write(stream, log);
        var bytes = stream.ToArray();
        Encoding.ASCII.GetString(bytes).Should().Be("1 1\n6 3\n1 3533\n6034 8\n");
        bytes.Should().OnlyContain(b => b < 128);

        stream.Position = 0;
        InteractionLogFormat.Read(stream).Should().Equal(log);
    }

    [Fact]
    public void Reader_accepts_crlf_and_blank_lines()
    {
        var text = "1 2\r\n\r\n3  4\n";
        InteractionLogFormat.Read(new MemoryStream(Encoding.ASCII.GetBytes(text))).Should().Equal(new Interaction(0, 2), new Interaction(2, 4));
    }

    [Theory]
    [InlineData("1 2\n3\n", 2)]
    [InlineData("1 2\n0 5\n", 2)]
    [InlineData("x y\n", 1)]
    [InlineData("1 -2\n", 1)]
    public void Reader_refuses_malformed_lines_with_their_number(string text, int line)
    {
        FluentActions.Invoking(() => InteractionLogFormat.Read(new MemoryStream(Encoding.ASCII.GetBytes(text))))
            .Should().Throw<InvalidDataException>().WithMessage($"*line {line}*");
    }

    [Fact]
    public void Writer_refuses_negative_users_and_the_padding_id()
    {
        FluentActions.Invoking(() => InteractionLogFormat.Write(new MemoryStream(), [new Interaction(-1, 1)]))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("interactions");
        FluentActions.Invoking(() => InteractionLogFormat.Write(new MemoryStream(), [new Interaction(0, 0)]))
            .Should().Throw<ArgumentException>().WithMessage("*item id below 1*");
    }

    [Fact]
    public void Sequences_keep_time_order_per_user()
    {
        var seqs = InteractionLogFormat.ToSequences([new(1, 4), new(0, 2), new(1, 3), new(1, 4)], 3);
        seqs[0].Should().Equal(2);
        seqs[1].Should().Equal(4, 3, 4);
        seqs[2].Should().BeEmpty();
        FluentActions.Invoking(() => InteractionLogFormat.ToSequences([new(3, 0)], 3)).Should().Throw<ArgumentException>();
    }
}
