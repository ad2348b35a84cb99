using System.Globalization;
using CsvHelper;

namespace Ipg.Cli;

/// <summary>
/// The CSV files the commands write (<c>sweep.csv</c>, <c>linearity-*.csv</c>), through CsvHelper: RFC 4180 quoting
/// (a field with a comma, a quote or a line break is quoted, its quotes doubled), UTF-8, <c>\n</c> line ends, the same
/// number of fields in every record. The callers format numbers themselves (invariant culture) and pass every field as text.
/// </summary>
internal static class CsvOutput
{
    private static readonly CsvWriterOptions s_options = new() { NewLine = "\n" };

    /// <summary>Writes <paramref name="header"/> and then each row (each the same number of fields) to <paramref name="stream"/>, left open.</summary>
    public static void Write(Stream stream, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        // CsvHelper checks that every record has as many fields as the first (ValidateFieldCount, on by default).
        using var csv = CsvWriter.Create(stream, s_options, leaveOpen: true);
        WriteRecord(csv, header);
        foreach (var row in rows)
        {
            WriteRecord(csv, row);
        }
    }

    /// <summary>A number in invariant culture with <paramref name="format"/>, or an empty field when it is not finite (e.g. one target's interval).</summary>
    public static string Number(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : string.Empty;

    private static void WriteRecord(CsvWriter csv, IReadOnlyList<string> fields)
    {
        foreach (string field in fields)
        {
            csv.WriteField(field);
        }

        csv.EndRecord();
    }
}
