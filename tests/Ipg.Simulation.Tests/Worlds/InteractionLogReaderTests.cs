using System.Security.Cryptography;
using System.Text;
using Ipg.Simulation.Worlds;

namespace Ipg.Simulation.Tests.Worlds;

public class InteractionLogReaderTests
{
    private static InteractionLog Read(string text, InteractionLogKind kind) =>
        InteractionLogReader.Read(Encoding.ASCII.GetBytes(text), kind, "log.txt");

    private static int[] Seq(InteractionLog log, int user) => log.Sequence(user).ToArray();

    [Fact]
    public void Lines_map_raw_ids_to_dense_ids_in_order_of_first_appearance()
    {
        var log = Read("7 30\n5 10\n7 10\n\n7 99\r\n5 30\n", InteractionLogKind.Lines);

        log.RawUserIds.ToArray().Should().Equal(7, 5);
        log.RawItemIds.ToArray().Should().Equal(30, 10, 99);
        Seq(log, 0).Should().Equal(1, 2, 3);
        Seq(log, 1).Should().Equal(2, 1);
        log.InteractionCount.Should().Be(5);
        log.SourceKind.Should().Be(InteractionLogKind.Lines);
    }

    [Fact]
    public void The_source_hash_is_the_sha256_of_the_bytes()
    {
        var bytes = Encoding.ASCII.GetBytes("1 2\n1 3\n");
        InteractionLogReader.Read(bytes, InteractionLogKind.Lines, "x").SourceSha256
            .Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public void MovieLens_ratings_are_ordered_by_timestamp_with_ties_in_file_order()
    {
        var dat = Read("1::50::5::300\n1::40::3::100\n2::50::4::7\n1::60::1::100\n1::70::2::50\n", InteractionLogKind.MovieLens);
        dat.RawItemIds.ToArray().Should().Equal(50, 40, 60, 70);
        Seq(dat, 0).Should().Equal(4, 2, 3, 1); // 70@50, 40@100, 60@100 (file order), 50@300

        var tab = Read("1\t50\t5\t300\n1\t40\t3\t100\n1\t60\t1\t100\n", InteractionLogKind.MovieLens);
        Seq(tab, 0).Should().Equal(2, 3, 1);
    }

    [Fact]
    public void Sequences_read_a_user_column_and_item_sequences_use_the_line_number()
    {
        var s = Read("10 3 4 5\n20 5 6\n", InteractionLogKind.Sequences);
        s.RawUserIds.ToArray().Should().Equal(10, 20);
        Seq(s, 0).Should().Equal(1, 2, 3);
        Seq(s, 1).Should().Equal(3, 4);

        var i = Read("3 4 5\n\n5 6\n", InteractionLogKind.ItemSequences);
        i.RawUserIds.ToArray().Should().Equal(1, 3);
        Seq(i, 0).Should().Equal(1, 2, 3);
        Seq(i, 1).Should().Equal(3, 4);
    }

    [Theory]
    [InlineData(InteractionLogKind.Lines, "1 2\n1 2 3\n", "log.txt line 2: expected two integers \"user item\"")]
    [InlineData(InteractionLogKind.Lines, "1 2\n\n1 x\n", "log.txt line 3: expected a non-negative integer item id, got \"x\"")]
    [InlineData(InteractionLogKind.Lines, "user item\n", "log.txt line 1: expected a non-negative integer user id, got \"user\"")]
    [InlineData(InteractionLogKind.MovieLens, "1::2::5::9\n1::2::5\n", "log.txt line 2: expected 4 fields")]
    [InlineData(InteractionLogKind.MovieLens, "1::2::5::9\n1::3::five::9\n", "log.txt line 2: expected a number as the rating")]
    [InlineData(InteractionLogKind.MovieLens, "1\t2\t5\tnoon\n", "log.txt line 1: expected an integer timestamp")]
    [InlineData(InteractionLogKind.Sequences, "1 2 3\n7\n", "log.txt line 2: expected \"user item item …\"")]
    [InlineData(InteractionLogKind.Sequences, "1 2 3\n2 4\n1 5\n", "log.txt line 3: expected a new user id, but user 1 already has a sequence on line 1")]
    [InlineData(InteractionLogKind.ItemSequences, "1 2 3\n4 -5\n", "log.txt line 2: expected a non-negative integer item id, got \"-5\"")]
    public void Format_errors_name_the_file_the_line_and_what_was_expected(InteractionLogKind kind, string text, string message)
    {
        var act = () => Read(text, kind);
        act.Should().Throw<InvalidDataException>().Which.Message.Should().StartWith(message);
    }

    [Fact]
    public void An_empty_log_is_an_error() =>
        FluentActions.Invoking(() => Read("\n\n", InteractionLogKind.Lines))
            .Should().Throw<InvalidDataException>().WithMessage("log.txt: expected at least one interaction*");

    [Fact]
    public void Read_from_a_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ipg-log-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "1 2\nbad\n");
        try
        {
            FluentActions.Invoking(() => InteractionLogReader.Read(path, InteractionLogKind.Lines))
                .Should().Throw<InvalidDataException>().Which.Message.Should().StartWith($"{Path.GetFileName(path)} line 2:");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_undefined_kind_is_rejected() =>
        FluentActions.Invoking(() => InteractionLogReader.Read([], (InteractionLogKind)42, "x"))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("kind");
}
