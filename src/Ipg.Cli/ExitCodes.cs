namespace Ipg.Cli;

/// <summary>
/// The exit codes of <c>ipg</c> (README, docs/reliability.md "CLI exit codes"). <see cref="IpgCommandLine.Invoke"/>
/// is the one place that turns a failure into one of them.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error: a bug in ipg (the message names the exception; <c>IPG_DEBUG=1</c> prints its stack trace).</summary>
    public const int Unexpected = 1;

    /// <summary>Invalid arguments: a parse error (unknown option, a value that does not parse, a bad enum value, a missing required option) or a value out of range.</summary>
    public const int InvalidArguments = 2;

    /// <summary>The model cannot be loaded: missing, unreadable, not ONNX, breaks the contract, or the chosen kernel cannot run it.</summary>
    public const int ModelNotLoaded = 3;

    /// <summary>The model and the data do not belong together: another training log (hash), another item count, ids beyond the model.</summary>
    public const int ModelMismatch = 4;

    /// <summary>An input file (<c>--log</c>, <c>--sequences</c>, <c>--world</c>, <c>--fit</c>, <c>--metadata</c>, <c>--item-map</c>) is missing, unreadable or malformed.</summary>
    public const int InputFile = 5;

    /// <summary>An output (<c>--out</c>, <c>--state-out</c>) cannot be written.</summary>
    public const int OutputNotWritten = 6;

    /// <summary>Cancelled (Ctrl+C, SIGTERM): 128 + SIGINT, as shells report it.</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// A failure a command has classified: it carries the exit code and a message for the user (no stack trace).
/// Commands throw it; <see cref="IpgCommandLine.Invoke"/> prints the message and returns the code.
/// </summary>
internal sealed class CliException : Exception
{
    private CliException(int exitCode, string message, Exception? inner)
        : base(message, inner) => ExitCode = exitCode;

    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }

    /// <summary>Exit 2: an argument is invalid.</summary>
    public static CliException InvalidArguments(string message) => new(ExitCodes.InvalidArguments, message, null);

    /// <summary>Exit 3: the model cannot be loaded.</summary>
    public static CliException ModelNotLoaded(string message, Exception? inner = null) => new(ExitCodes.ModelNotLoaded, message, inner);

    /// <summary>Exit 4: the model and the data do not belong together.</summary>
    public static CliException ModelMismatch(string message) => new(ExitCodes.ModelMismatch, message, null);

    /// <summary>Exit 5: an input file is missing, unreadable or malformed.</summary>
    public static CliException InputFile(string message, Exception? inner = null) => new(ExitCodes.InputFile, message, inner);

    /// <summary>Exit 6: an output cannot be written.</summary>
    public static CliException OutputNotWritten(string message, Exception? inner = null) => new(ExitCodes.OutputNotWritten, message, inner);
}

/// <summary>Reads the command line's input files, so that every failure to read one is exit 5 with the option's name.</summary>
internal static class InputFiles
{
    /// <summary>
    /// Reads <paramref name="path"/> with <paramref name="read"/>; a missing, unreadable or malformed file
    /// (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>, <see cref="InvalidDataException"/>) becomes
    /// <see cref="CliException.InputFile"/> naming <paramref name="option"/> and the path.
    /// </summary>
    public static T Read<T>(string option, string path, Func<string, T> read)
    {
        RequireFile(option, path);
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw CliException.InputFile($"{option}: cannot read \"{path}\": {e.Message}", e);
        }
    }

    /// <summary>Throws <see cref="CliException.InputFile"/> unless <paramref name="path"/> is an existing file.</summary>
    public static void RequireFile(string option, string path)
    {
        if (!File.Exists(path))
        {
            throw CliException.InputFile(Directory.Exists(path)
                ? $"{option}: \"{path}\" is a folder, not a file."
                : $"{option}: file \"{path}\" does not exist.");
        }
    }
}
