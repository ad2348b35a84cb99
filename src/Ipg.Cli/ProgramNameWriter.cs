using System.Text;

namespace Ipg.Cli;

/// <summary>
/// Passes text through line by line, writing <c>ipg</c> where a usage line names the program by its assembly name
/// (System.CommandLine takes the root command's name from the entry assembly, <c>Ipg.Cli</c>). Only lines that begin
/// with indentation followed by the assembly name and a space (or the end of the line) change; anything else passes
/// untouched. Disposing flushes a final partial line but leaves the inner writer open.
/// </summary>
internal sealed class ProgramNameWriter : TextWriter
{
    private readonly TextWriter _inner;
    private readonly string _from;
    private readonly string _to;
    private readonly StringBuilder _line = new();

    public ProgramNameWriter(TextWriter inner, string from, string to)
    {
        _inner = inner;
        _from = from;
        _to = to;
    }

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            if (_line.Length > 0 && _line[^1] == '\r')
            {
                _line.Length--;
                WriteLineOut("\r\n");
            }
            else
            {
                WriteLineOut("\n");
            }

            return;
        }

        _line.Append(value);
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    public override void Flush()
    {
        if (_line.Length > 0)
        {
            _inner.Write(Rename(_line.ToString()));
            _line.Clear();
        }

        _inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }

    private void WriteLineOut(string newline)
    {
        _inner.Write(Rename(_line.ToString()));
        _inner.Write(newline);
        _line.Clear();
    }

    private string Rename(string line)
    {
        int indent = 0;
        while (indent < line.Length && line[indent] == ' ')
        {
            indent++;
        }

        if (indent == 0 || _from.Length == 0 || !line.AsSpan(indent).StartsWith(_from, StringComparison.Ordinal))
        {
            return line;
        }

        int after = indent + _from.Length;
        return after == line.Length || line[after] == ' ' ? string.Concat(line.AsSpan(0, indent), _to, line.AsSpan(after)) : line;
    }
}
