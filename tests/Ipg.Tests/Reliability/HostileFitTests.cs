using System.Text;
using System.Text.RegularExpressions;
using Ipg.Guidance;
using Ipg.Tests.Shared;
using Xunit.Abstractions;

namespace Ipg.Tests.Reliability;

/// <summary>
/// The hostile-file corpus for the look-ahead fit (docs/reliability.md "Hostile files"): byte mutants, forged numbers and
/// deep nesting of a valid fit file meet <see cref="LookAheadFit.Read"/> with <see cref="InvalidDataException"/> only.
/// </summary>
public class HostileFitTests(ITestOutputHelper output)
{
    private static readonly Type[] s_documented = [typeof(InvalidDataException)];

    private static byte[] FitFile()
    {
        var fit = new LookAheadFit
        {
            ItemCount = 30,
            Dimension = 4,
            ItemTableSha256 = new string('a', 64),
            A = 0.93,
            B = 2.5,
            Acceptance = new AcceptanceCalibration(1.2f, -0.4f),
            Producer = "hostile corpus",
            Validation = new LookAheadFitValidation(80, 20, 1600, 400, 0.91, 0.92, 1.15, 500, 120, 0.31, 0.35),
        };
        using var stream = new MemoryStream();
        fit.Write(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Mutants_of_a_fit_file_are_refused_as_invalid_data_or_read()
    {
        var file = FitFile();
        LookAheadFit.Read(new MemoryStream(file)).A.Should().Be(0.93, "the unmutated file reads");
        var corpus = new HostileCorpus();
        corpus.Run(Mutator.Create(file, 2_000, seed: 41), Read, s_documented, HostileCorpus.AllocationBound);
        corpus.Run(ForgedNumbers(file), Read, s_documented, HostileCorpus.AllocationBound);
        corpus.Run(ForgedStrings(file), Read, s_documented, HostileCorpus.AllocationBound);
        corpus.Run(
            new[] { 10, 100, 1_000, 100_000 }.Select(depth => new Mutant("deep nesting", $"{depth} levels", Mutator.DeepJson(file, depth))),
            Read,
            s_documented,
            HostileCorpus.AllocationBound);

        output.WriteLine(corpus.Report($"look-ahead fit ({file.Length:N0} bytes)"));
        corpus.Failures.Should().BeEmpty();
        (corpus.Count - corpus.Loaded).Should().BeGreaterThan(corpus.Count / 4);
    }

    private static void Read(byte[] data) => LookAheadFit.Read(new MemoryStream(data));

    /// <summary>Every string of the file replaced, one at a time, by a lone surrogate, a NUL, a long string and a non-string.</summary>
    private static IEnumerable<Mutant> ForgedStrings(byte[] file)
    {
        var text = Encoding.UTF8.GetString(file);
        string[] values = ["\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"" + new string('x', 100_000) + "\"", "\"\"", "1", "null"];
        foreach (Match literal in Regex.Matches(text, "\"[^\"]*\""))
        {
            foreach (var value in values)
            {
                yield return new Mutant("forged string", $"{literal.Value} at {literal.Index} → {value[..Math.Min(12, value.Length)]}", Encoding.UTF8.GetBytes(text[..literal.Index] + value + text[(literal.Index + literal.Length)..]));
            }
        }
    }

    /// <summary>Every number of the file replaced, one at a time, by values that overflow what it is read into.</summary>
    private static IEnumerable<Mutant> ForgedNumbers(byte[] file)
    {
        var text = Encoding.UTF8.GetString(file);
        string[] values = ["1e400", "-1e400", "1e300", "-1e300", "9223372036854775808", "2147483648", "-2147483649", "0", "-0", "1.5", "-1", "5e-324", "\"7\"", "null", "true", "[]", "{}"];
        foreach (Match number in Regex.Matches(text, @"-?\d+(\.\d+)?([eE][-+]?\d+)?"))
        {
            foreach (var value in values)
            {
                yield return new Mutant("forged number", $"{number.Value} at {number.Index} → {value}", Encoding.UTF8.GetBytes(text[..number.Index] + value + text[(number.Index + number.Length)..]));
            }
        }
    }
}
