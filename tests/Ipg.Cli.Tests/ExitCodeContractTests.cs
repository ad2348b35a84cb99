namespace Ipg.Cli.Tests;

/// <summary>
/// The exit-code contract of README and docs/reliability.md ("CLI exit codes"): every error path of every command ends
/// in its documented code with a message on standard error, and no exception leaves <see cref="IpgCommandLine.Invoke"/>.
/// The slow paths (those that regenerate the paper log before they fail) are covered by
/// <see cref="ExperimentCommandTests"/>; these run in well under a second each.
/// </summary>
public sealed class ExitCodeContractTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ipg-exit-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("unknown flag", "reproduce", "--no-such-flag")]
    [InlineData("unknown command", "reproduc")]
    [InlineData("non-integer", "reproduce", "--users", "abc")]
    [InlineData("non-integer", "analyze", "linearity", "--candidates", "1.5")]
    [InlineData("non-integer", "world", "build", "--dim", "abc")]
    [InlineData("bad enum value", "reproduce", "--kernel", "Fast")]
    [InlineData("bad enum value", "analyze", "linearity", "--kernel", "Fast")]
    [InlineData("missing required option", "collect-log")]
    [InlineData("option without its value", "collect-log", "--out")]
    public void Parse_errors_exit_with_2_and_say_what_is_wrong(string what, params string[] args)
    {
        var (code, error) = Run(args);

        code.Should().Be(2, what);
        error.Should().NotBeNullOrWhiteSpace(what);
    }

    [Fact]
    public void Parse_errors_name_the_option_and_the_value()
    {
        Run("reproduce", "--users", "abc").Error.Should().Contain("abc").And.Contain("--users");
        Run("reproduce", "--kernel", "Fast").Error.Should().Contain("Fast");
        Run("reproduce", "--no-such-flag").Error.Should().Contain("--no-such-flag");
        Run("collect-log").Error.Should().Contain("--out");
    }

    [Fact]
    public void Values_out_of_range_exit_with_2()
    {
        Run("collect-log", "--users", "0", "--out", Path.Combine(_dir.FullName, "log.txt")).Code.Should().Be(2);
        Run("analyze", "linearity", "--users", "0", "--out", _dir.FullName).Code.Should().Be(2);
        Run("world", "train-log", "--out", Path.Combine(_dir.FullName, "t.txt")).Should().Be((2, "ipg world train-log: --world and --out are required." + Environment.NewLine));

        // A number where an enum belongs parses, but is no kernel: refused by name before any model is loaded.
        var (code, error) = Run("analyze", "linearity", "--kernel", "7", "--sequences", Sequences("1 2 3"), "--out", _dir.FullName);
        code.Should().Be(2);
        error.Should().Contain("--kernel").And.Contain("7");
        File.Exists(Path.Combine(_dir.FullName, "linearity.json")).Should().BeFalse();
    }

    [Fact]
    public void A_model_that_cannot_be_loaded_exits_with_3()
    {
        var notOnnx = Path.Combine(_dir.FullName, "model.onnx");
        File.WriteAllText(notOnnx, "not a model");

        var (missing, missingError) = Run("analyze", "linearity", "--model", Path.Combine(_dir.FullName, "absent.onnx"), "--sequences", Sequences("1 2 3"), "--out", _dir.FullName);
        missing.Should().Be(3);
        missingError.Should().Contain("cannot load the model").And.Contain("absent.onnx");

        Run("analyze", "linearity", "--model", notOnnx, "--sequences", Sequences("1 2 3"), "--out", _dir.FullName).Code.Should().Be(3);
    }

    [Fact]
    public void A_model_the_managed_kernel_does_not_recognise_exits_with_3_when_forced_and_runs_by_default()
    {
        // mini.onnx follows the contract (N = 5, L = 3) but is not a SASRec graph: the managed kernel throws
        // NotSupportedException, which used to reach the user unhandled from `ipg analyze linearity` (issue #17).
        string mini = TestModels.Fixture("broken", "mini.onnx");
        string sequences = Sequences("1 2 3 4", "2 3 4 5", "5 4 3 1");
        var (code, error) = Run("analyze", "linearity", "--model", mini, "--kernel", "Managed", "--sequences", sequences, "--out", _dir.FullName);
        code.Should().Be(3);
        error.Should().Contain("managed kernel").And.Contain("--kernel Auto").And.NotContain("   at ", "no stack trace reaches the user");

        // The default (--kernel Auto) falls back to ONNX Runtime (and says so on the console's standard error).
        var (autoCode, _) = Run("analyze", "linearity", "--model", mini, "--sequences", sequences, "--candidates", "2", "--targets-per-user", "2",
            "--timing-requests", "0", "--out", _dir.FullName);
        autoCode.Should().Be(0);
        File.Exists(Path.Combine(_dir.FullName, "linearity.json")).Should().BeTrue();
    }

    [Fact]
    public void Histories_with_ids_beyond_the_model_exit_with_4_naming_the_id()
    {
        var (code, error) = Run("analyze", "linearity", "--model", TestModels.Fixture("sasrec-tiny.onnx"), "--kernel", "OnnxRuntime", "--sequences", Sequences("1 2 3", "4 5 101"), "--out", _dir.FullName);
        code.Should().Be(4);
        error.Should().Contain("history 2").And.Contain("101").And.Contain("1..100");
    }

    [Fact]
    public void Missing_or_malformed_input_files_exit_with_5_naming_the_option_and_the_file()
    {
        string absent = Path.Combine(_dir.FullName, "absent.txt");
        var (code, error) = Run("analyze", "linearity", "--sequences", absent, "--out", _dir.FullName);
        code.Should().Be(5, "a missing --sequences file is not a model that cannot be loaded");
        error.Should().Contain("--sequences").And.Contain(absent);

        (code, error) = Run("analyze", "linearity", "--sequences", Sequences("1 2 3", "4 x 6"), "--out", _dir.FullName);
        code.Should().Be(5);
        error.Should().Contain("line 2").And.Contain("\"x\"");

        Run("analyze", "linearity", "--log", absent, "--out", _dir.FullName).Code.Should().Be(5);
        Run("analyze", "linearity", "--sequences", _dir.FullName, "--out", _dir.FullName).Error.Should().Contain("is a folder");

        // Histories that parse but of which none has a history and a next item.
        Run("analyze", "linearity", "--sequences", Sequences("1", "2"), "--out", _dir.FullName).Code.Should().Be(5);

        string log = Sequences("1 2 3 4", "2 3 4 5");
        Run("world", "build", "--log", log, "--format", "sequences", "--metadata", absent, "--metadata-format", "lastfm", "--out", _dir.FullName).Code.Should().Be(5);
        Run("world", "build", "--log", log, "--format", "sequences", "--metadata", log, "--metadata-format", "ml1m", "--item-map", absent, "--out", _dir.FullName)
            .Error.Should().Contain("--item-map");
        Run("world", "train-log", "--world", _dir.FullName, "--out", Path.Combine(_dir.FullName, "t.txt")).Error.Should().Contain("world.bin").And.Contain("does not exist");
    }

    [Fact]
    public void An_output_that_cannot_be_written_exits_with_6()
    {
        string file = Path.Combine(_dir.FullName, "a-file");
        File.WriteAllText(file, "x");
        var (code, error) = Run("collect-log", "--users", "20", "--items", "30", "--rounds", "2", "--out", Path.Combine(file, "log.txt"));
        code.Should().Be(6);
        error.Should().Contain("cannot write").And.Contain("a-file");
        File.ReadAllText(file).Should().Be("x");

        Run("analyze", "linearity", "--sequences", Sequences("1 2 3", "3 4 5 6"), "--candidates", "3", "--targets-per-user", "2", "--timing-requests", "0", "--out", file).Code.Should().Be(6);
    }

    [Fact]
    public void Every_exception_is_mapped_to_its_code_without_a_stack_trace()
    {
        static (int, string) Report(Exception e)
        {
            var writer = new StringWriter();
            return (IpgCommandLine.Report(e, "ipg test", writer), writer.ToString());
        }

        Report(CliException.InvalidArguments("a")).Should().Be((2, "ipg test: a" + Environment.NewLine));
        Report(CliException.ModelNotLoaded("b")).Item1.Should().Be(3);
        Report(CliException.ModelMismatch("c")).Item1.Should().Be(4);
        Report(CliException.InputFile("d")).Item1.Should().Be(5);
        Report(CliException.OutputNotWritten("e")).Item1.Should().Be(6);
        Report(new ArgumentOutOfRangeException("Users", 0, "Users must be positive.")).Item1.Should().Be(2);
        Report(new InvalidDataException("bad line")).Item1.Should().Be(5);
        Report(new FileNotFoundException("gone", "x.txt")).Item1.Should().Be(5);
        Report(new UnauthorizedAccessException("denied")).Item1.Should().Be(6);
        Report(new DirectoryNotFoundException("no folder")).Item1.Should().Be(6);
        Report(new OperationCanceledException()).Item1.Should().Be(130);
        Report(new AggregateException(new InvalidDataException("inner"))).Should().Be((5, "ipg test: inner" + Environment.NewLine));

        Exception thrown;
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        var (code, message) = Report(thrown);
        code.Should().Be(1);
        message.Should().Contain("unexpected error").And.Contain("System.InvalidOperationException").And.Contain("boom").And.Contain("bug");
        if (Environment.GetEnvironmentVariable("IPG_DEBUG") != "1")
        {
            message.Should().NotContain(" at ", "the stack trace is printed only with IPG_DEBUG=1");
        }
    }

    [Fact]
    public void Help_and_success_exit_with_0()
    {
        Run("--help").Code.Should().Be(0);
        Run("analyze", "linearity", "--help").Code.Should().Be(0);
    }

    private (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        int code = IpgCommandLine.Invoke(args, error);
        return (code, error.ToString());
    }

    private string Sequences(params string[] lines)
    {
        string path = Path.Combine(_dir.FullName, $"sequences-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, lines);
        return path;
    }
}
