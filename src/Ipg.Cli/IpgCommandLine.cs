using System.CommandLine;
using System.CommandLine.Invocation;
using Ipg.Cli.Commands;

namespace Ipg.Cli;

/// <summary>Builds the <c>ipg</c> command tree (each command lives in its own class under Commands/) and runs it.</summary>
internal static class IpgCommandLine
{
    /// <summary>The root command with every subcommand registered.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("ipg: Iterative Preference Guidance (Bi et al., WWW 2024): simulator, experiments, sweeps.");
        root.Subcommands.Add(CollectLogCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(WorldCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/> and returns the exit code (<see cref="ExitCodes"/>). This is the one place
    /// that maps failures to exit codes: a parse error is 2; an exception a command throws is mapped by
    /// <see cref="Report"/>, its message printed on standard error without a stack trace. No exception leaves it.
    /// </summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="error">Where the messages go; standard error by default (tests pass a writer).</param>
    /// <param name="output">Where the help and the version go; standard output by default (tests pass a writer).</param>
    public static int Invoke(string[] args, TextWriter? error = null, TextWriter? output = null)
    {
        error ??= Console.Error;
        output ??= Console.Out;
        ParseResult parseResult;
        try
        {
            parseResult = CreateRootCommand().Parse(args);
        }
        catch (Exception e)
        {
            return Report(e, "ipg", error);
        }

        // The help names the program by its assembly (Ipg.Cli, which cannot be "ipg": see the project file); users type ipg.
        using var helpOutput = new ProgramNameWriter(output, RootCommand.ExecutableName, "ipg");
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, Output = helpOutput };
        try
        {
            int code = parseResult.Invoke(configuration);

            // System.CommandLine prints the parse errors (and the help) and returns 1; the contract says 2.
            return parseResult.Action is ParseErrorAction ? ExitCodes.InvalidArguments : code;
        }
        catch (Exception e)
        {
            return Report(e, CommandPath(parseResult), error);
        }
    }

    /// <summary>
    /// Prints <paramref name="exception"/> for the user and returns its exit code: a <see cref="CliException"/> its own;
    /// cancellation 130; an <see cref="ArgumentException"/> (a value the library's validation refused) 2; an
    /// <see cref="InvalidDataException"/> or a missing file that no command classified 5; any other I/O failure 6 (the
    /// commands classify their reads, so what is left is writing); anything else 1, an unexpected error.
    /// </summary>
    internal static int Report(Exception exception, string command, TextWriter error)
    {
        if (exception is AggregateException { InnerExceptions: [var single] })
        {
            exception = single;
        }

        (int code, string message) = exception switch
        {
            CliException e => (e.ExitCode, e.Message),
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled."),
            ArgumentException e => (ExitCodes.InvalidArguments, e.Message),
            InvalidDataException or FileNotFoundException => (ExitCodes.InputFile, exception.Message),
            IOException or UnauthorizedAccessException => (ExitCodes.OutputNotWritten, $"cannot write the output: {exception.Message}"),
            _ => (ExitCodes.Unexpected, $"unexpected error ({exception.GetType().FullName}): {exception.Message} This is a bug in ipg: please report it with the command line" +
                (Environment.GetEnvironmentVariable("IPG_DEBUG") == "1" ? "." : " (IPG_DEBUG=1 prints the stack trace)."))
        };

        error.WriteLine($"{command}: {message}");
        if (code == ExitCodes.Unexpected && Environment.GetEnvironmentVariable("IPG_DEBUG") == "1")
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "ipg" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
