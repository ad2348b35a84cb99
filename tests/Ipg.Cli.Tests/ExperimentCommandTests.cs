using System.Text.Json;

namespace Ipg.Cli.Tests;

/// <summary>
/// <c>ipg reproduce</c> and <c>ipg sweep</c> end to end at a tiny scale (the world and the embedded model are
/// the paper's; only the guidance is small), and their failure exits.
/// </summary>
public class ExperimentCommandTests
{
    private static int Invoke(params string[] args) => IpgCommandLine.Invoke(args);

    [Fact]
    public void Reproduce_writes_results_json_and_plots_for_every_policy()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-reproduce-");
        try
        {
            Invoke("reproduce", "--users", "40", "--targets", "2", "--rounds", "5", "--out", dir.FullName).Should().Be(0);

            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "results.json")));
            var config = doc.RootElement.GetProperty("config");
            config.GetProperty("users").GetInt32().Should().Be(40);
            config.GetProperty("log_sha256").GetString().Should().Be(config.GetProperty("model_training_log_sha256").GetString());
            config.GetProperty("target_ids").GetArrayLength().Should().Be(2);
            var policies = doc.RootElement.GetProperty("policies").EnumerateArray().ToList();
            policies.Select(p => p.GetProperty("name").GetString()).Should().Equal("IPG", "IPG-Cosine", "IPG-Default", "SASRec", "TargetSimilarity", "Rec2Inf", "Random", "Oracle");
            foreach (var policy in policies)
            {
                policy.GetProperty("HR@5").GetDouble().Should().BeInRange(0, 1);
                policy.GetProperty("per_round").GetProperty("IoI").GetArrayLength().Should().Be(5);
            }

            foreach (var png in new[] { "hr-vs-ioi.png", "ioi-over-rounds.png" })
            {
                File.ReadAllBytes(Path.Combine(dir.FullName, png)).Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_short_run_for_one_target_reports_its_own_last_round_and_no_interval()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-reproduce-short-");
        try
        {
            Invoke("reproduce", "--users", "30", "--targets", "1", "--rounds", "3", "--out", dir.FullName).Should().Be(0);

            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "results.json")));
            foreach (var policy in doc.RootElement.GetProperty("policies").EnumerateArray())
            {
                policy.GetProperty("HR@3").GetDouble().Should().BeInRange(0, 1);
                policy.TryGetProperty("HR@5", out _).Should().BeFalse("a 3-round run has no K = 5");
                policy.GetProperty("IoI@3_ci95").ValueKind.Should().Be(JsonValueKind.Null, "one target has no interval across targets");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(3, new[] { 3 })]
    [InlineData(5, new[] { 5 })]
    [InlineData(12, new[] { 5, 10, 12 })]
    [InlineData(20, new[] { 5, 10, 15, 20 })]
    [InlineData(30, new[] { 5, 10, 15, 20 })]
    public void The_table_checkpoints_follow_the_rounds(int rounds, int[] expected) =>
        Ipg.Simulation.Reproduction.ReproductionReport.TableCheckpointsFor(rounds).Should().Equal(expected);

    [Fact]
    public void An_interval_of_one_target_prints_as_n_a() =>
        Ipg.Simulation.Reproduction.ReproductionReport.FormatInterval(new Ipg.Simulation.Metrics.MetricEstimate(0.5, double.NaN, double.NaN, 1)).Should().Be("n/a");

    [Fact]
    public void Reproduce_with_irn_adds_the_open_and_closed_loop_rows_before_random()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-reproduce-irn-");
        try
        {
            string irn = Path.Combine(AppContext.BaseDirectory, "Fixtures", "irn-paper.onnx");
            Invoke("reproduce", "--users", "20", "--targets", "1", "--rounds", "5", "--irn", irn, "--out", dir.FullName).Should().Be(0);

            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "results.json")));
            var policies = doc.RootElement.GetProperty("policies").EnumerateArray().ToList();
            policies.Select(p => p.GetProperty("name").GetString()).Should().Equal("IPG", "IPG-Cosine", "IPG-Default", "SASRec", "TargetSimilarity", "Rec2Inf", "IRN (open loop)", "IRN (closed loop)", "Random", "Oracle");
            foreach (var policy in policies.Skip(5).Take(2))
            {
                policy.GetProperty("HR@5").GetDouble().Should().BeInRange(0, 1);
                policy.GetProperty("per_round").GetProperty("IoI").GetArrayLength().Should().Be(5);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Reproduce_runs_over_a_model_that_is_not_SASRec_and_guides_it()
    {
        // GRU4Rec (tools/gru4rec): contract 2, a per-item bias and a softmax p̂, run by ONNX Runtime (docs/bring-your-own-model.md).
        var dir = Directory.CreateTempSubdirectory("ipg-reproduce-gru4rec-");
        try
        {
            string model = TestModels.Fixture("byom", "gru4rec-paper.onnx");
            Invoke("reproduce", "--users", "60", "--targets", "2", "--rounds", "5", "--model", model, "--out", dir.FullName).Should().Be(0);

            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "results.json")));
            var config = doc.RootElement.GetProperty("config");
            config.GetProperty("model_layout").GetString().Should().Be("gru4rec");
            config.GetProperty("model_acceptance").GetString().Should().Be("softmax");
            config.GetProperty("encoder_kernel").GetString().Should().Be("OnnxRuntime");
            var policies = doc.RootElement.GetProperty("policies").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
            double Ioi(string name) => policies[name].GetProperty("IoI@5").GetDouble();
            Ioi("IPG").Should().BeGreaterThan(Ioi("SASRec") + 0.02, "the paper's guidance moves interest over GRU4Rec too (the SASRec row is the base encoder)");
            Ioi("IPG-Cosine").Should().BeGreaterThan(Ioi("SASRec") + 0.02);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sweep_writes_a_csv_row_per_setting_and_a_frontier_plot()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-sweep-");
        try
        {
            Invoke("sweep", "--users", "20", "--targets", "1", "--rounds", "2", "--out", dir.FullName).Should().Be(0);

            var lines = File.ReadAllLines(Path.Combine(dir.FullName, "sweep.csv"));
            lines[0].Should().Be("series,setting,HR@2,IoI@2,IoI@2_ci95_low,IoI@2_ci95_high,IoR@2,seconds,guidance,strength");
            lines.Should().HaveCount(1 + 18 + 4 + (3 * 7) + 1, "9 values of γ under 2 negative-guidance policies, 2 forms × 2 policies, 7 strengths × 3 guidance models, and SASRec");
            lines.Should().Contain(l => l.StartsWith("\"λ, cosine\",0.35,", StringComparison.Ordinal) && l.EndsWith(",cosine,0.35", StringComparison.Ordinal));
            lines.Should().Contain(l => l.StartsWith("\"λ, affine(a=0.916,b=4.734)\",0,", StringComparison.Ordinal));
            lines.Should().Contain(l => l.StartsWith("\"IPG Absolute (Raw), γ\",0.5,", StringComparison.Ordinal));
            File.ReadAllBytes(Path.Combine(dir.FullName, "frontier.png")).Take(4).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 });
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_model_trained_on_another_log_is_refused_unless_forced()
    {
        // Seed 7 regenerates a different log than the one the embedded model was trained on.
        var dir = Directory.CreateTempSubdirectory("ipg-mismatch-");
        try
        {
            Invoke("reproduce", "--seed", "7", "--users", "10", "--targets", "1", "--rounds", "1", "--out", dir.FullName).Should().Be(4);
            File.Exists(Path.Combine(dir.FullName, "results.json")).Should().BeFalse();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Fit_writes_a_held_out_validated_file_that_reproduce_loads_beside_the_planned_rows()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-fit-");
        try
        {
            string file = Path.Combine(dir.FullName, "fit.json");
            Invoke("fit", "--fit-users", "60", "--fit-candidates", "5", "--fit-impressions", "3000", "--out", file).Should().Be(0);

            var fit = Ipg.Guidance.LookAheadFit.Load(file);
            fit.Validation.FitUsers.Should().Be(48);
            fit.Validation.HeldOutUsers.Should().Be(12);
            double.IsFinite(fit.Validation.ResidualHeldOut).Should().BeTrue();
            fit.Acceptance.Should().NotBeNull("the paper world's log keeps impressions for the calibration");
            fit.Producer.Should().Contain("log sha256");

            Invoke("fit", "--fit-users", "40", "--fit-candidates", "3", "--fit-impressions", "1000", "--transfer", file, "--out", Path.Combine(dir.FullName, "again.json")).Should().Be(0);
            Invoke("fit", "--transfer", file + ".missing", "--out", Path.Combine(dir.FullName, "never.json")).Should().Be(5, "an input file that does not exist");
            File.Exists(Path.Combine(dir.FullName, "never.json")).Should().BeFalse();

            Invoke("reproduce", "--users", "30", "--targets", "1", "--rounds", "3", "--fit", file, "--planned", "1,2,5", "--out", dir.FullName).Should().Be(0);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "results.json")));
            doc.RootElement.GetProperty("config").GetProperty("look_ahead_fit").GetString().Should().Be(file);
            doc.RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Should()
                .StartWith(["IPG", "IPG-Cosine", "IPG-Default", "IPG-Fitted", "IPG-Fitted+p̂", "IPG-Planned+p̂", "SASRec"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_fit_made_for_another_model_is_refused_before_any_guidance_runs()
    {
        var dir = Directory.CreateTempSubdirectory("ipg-fit-mismatch-");
        try
        {
            string file = Path.Combine(dir.FullName, "other.json");
            File.WriteAllText(file, """
                { "format": "ipg-look-ahead-fit", "version": 1, "item_count": 3533, "dimension": 48,
                  "item_table_sha256": "0000000000000000000000000000000000000000000000000000000000000000", "affine": { "a": 0.9, "b": 3.0 } }
                """);

            Invoke("reproduce", "--users", "10", "--targets", "1", "--rounds", "1", "--fit", file, "--out", dir.FullName).Should().Be(5, "a fit for another model is an unusable input file");
            File.Exists(Path.Combine(dir.FullName, "results.json")).Should().BeFalse();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(2, "reproduce", "--planned", "2,0,10")]
    [InlineData(2, "reproduce", "--planned", "5,4,10")]
    [InlineData(2, "sweep", "--planned", "2,4")]
    [InlineData(2, "reproduce", "--users", "0")]
    [InlineData(2, "reproduce", "--targets", "0")]
    [InlineData(2, "reproduce", "--rounds", "0")]
    [InlineData(2, "sweep", "--threads", "0")]
    [InlineData(3, "reproduce", "--model", "/nonexistent/model.onnx")]
    [InlineData(3, "reproduce", "--users", "10", "--targets", "1", "--rounds", "1", "--irn", "/nonexistent/irn.onnx")]
    public void Bad_arguments_fail_with_a_documented_exit_code(int expected, params string[] args) =>
        Invoke([.. args, "--out", Path.Combine(Path.GetTempPath(), "ipg-never-written")]).Should().Be(expected);
}
