using System.Text.Json;

namespace Ipg.Cli.Tests;

/// <summary><c>ipg analyze linearity</c> end to end at a tiny scale, on the embedded default model.</summary>
public class LinearityCommandTests
{
    private static int Invoke(params string[] args) => IpgCommandLine.Invoke(args);

    [Fact]
    public void On_the_regenerated_paper_log_it_writes_the_json_and_both_csvs()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-linearity-");
        try
        {
            Invoke("analyze", "linearity", "--users", "6", "--targets-per-user", "2", "--candidates", "12",
                "--guidance-users", "8", "--guidance-targets", "2", "--rounds", "2", "--exact-candidates", "3",
                "--timing-requests", "2", "--out", dir.FullName).Should().Be(0);

            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "linearity.json")));
            var analysis = doc.RootElement.GetProperty("analysis");
            analysis.GetProperty("overall").GetProperty("histories").GetInt32().Should().Be(6);
            analysis.GetProperty("overall").GetProperty("pairs").GetInt32().Should().Be(12);
            analysis.GetProperty("overall").GetProperty("logged_moves").GetProperty("gamma").GetDouble().Should().BeInRange(-1, 2);
            doc.RootElement.GetProperty("gamma_options").GetString().Should().StartWith("IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(");
            doc.RootElement.GetProperty("cost").GetArrayLength().Should().Be(4, "linear and exact with M = 3, 10, 20");
            doc.RootElement.GetProperty("guidance").EnumerateArray().Select(r => r.GetProperty("policy").GetString())
                .Should().Equal("IPG (linear)", "IPG (exact, M = 3)", Affine(doc), "IPG (oracle look-ahead)", $"IPG Absolute γ̂ = {Gamma(doc)} (Raw)", $"IPG Absolute γ̂ = {Gamma(doc)} (AccuracyFallback)", "SASRec");

            var buckets = File.ReadAllLines(Path.Combine(dir.FullName, "linearity-buckets.csv"));
            buckets[0].Should().StartWith("bucket,min_length,max_length,histories,pairs,pearson_g,");
            buckets[^1].Should().StartWith("all,1,,6,12,");
            var guidance = File.ReadAllLines(Path.Combine(dir.FullName, "linearity-guidance.csv"));
            guidance.Should().HaveCount(1 + 7);
            guidance[1].Should().StartWith("IPG (linear),");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void On_a_sequences_file_it_analyses_the_model_only()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-linearity-seq-");
        try
        {
            string file = Path.Combine(dir.FullName, "input.txt");
            File.WriteAllLines(file, ["1 2 3 4 5", "10 20 30", "7", "100 200 300 400 500 600 700 800"]);

            Invoke("analyze", "linearity", "--sequences", file, "--candidates", "5", "--timing-requests", "0", "--out", dir.FullName).Should().Be(0);

            File.Exists(Path.Combine(dir.FullName, "linearity.json")).Should().BeTrue();
            File.ReadAllLines(Path.Combine(dir.FullName, "linearity-buckets.csv"))[^1].Should().StartWith("all,1,,3,15,", "three users have a history and a next item, 5 targets each");
            File.Exists(Path.Combine(dir.FullName, "linearity-guidance.csv")).Should().BeFalse("there is no simulator for a sequences file");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(2, "--users", "0")]
    [InlineData(2, "--log", "a.txt", "--sequences", "b.txt")]
    [InlineData(2, "--exact-candidates", "0", "10")]
    [InlineData(3, "--model", "/nonexistent/model.onnx")]
    [InlineData(5, "--sequences", "/nonexistent/input.txt")]
    public void Bad_arguments_fail_with_a_documented_exit_code(int expected, params string[] args) =>
        Invoke(["analyze", "linearity", .. args, "--out", Path.Combine(Path.GetTempPath(), "ipg-never-written")]).Should().Be(expected);

    [Fact]
    public void Ids_beyond_the_model_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-linearity-ids-");
        try
        {
            string file = Path.Combine(dir.FullName, "input.txt");
            File.WriteAllLines(file, ["1 2 999999"]);
            Invoke("analyze", "linearity", "--sequences", file, "--out", dir.FullName).Should().Be(4);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Affine(JsonDocument doc)
    {
        var fit = doc.RootElement.GetProperty("analysis").GetProperty("overall").GetProperty("candidate_moves");
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"IPG (affine look-ahead, a = {fit.GetProperty("a").GetDouble():0.###}, b = {fit.GetProperty("b").GetDouble():0.###})");
    }

    private static string Gamma(JsonDocument doc) => doc.RootElement.GetProperty("analysis").GetProperty("overall").GetProperty("logged_moves").GetProperty("gamma_for_options").GetSingle().ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
