using System.Text;
using System.Text.Json.Nodes;
using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Tests.Guidance;

public class LookAheadFitTests
{
    private static readonly ItemEmbeddingTable Items = TestData.RandomTable(30, 4, seed: 5);

    private static LookAheadFit Fit(AcceptanceCalibration? acceptance = null) => new()
    {
        ItemCount = 30,
        Dimension = 4,
        ItemTableSha256 = LookAheadFit.ComputeItemTableSha256(Items),
        A = 0.93,
        B = 2.5,
        Acceptance = acceptance,
        Producer = "unit test",
        Validation = new LookAheadFitValidation(80, 20, 1600, 400, 0.91, 0.92, 1.15, 0, 0, double.NaN, double.NaN),
    };

    private static string Json(LookAheadFit fit)
    {
        using var stream = new MemoryStream();
        fit.Write(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static LookAheadFit Parse(string json) => LookAheadFit.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    /// <summary>The fit's JSON with one field replaced (or removed when <paramref name="value"/> is null).</summary>
    private static string Edit(string path, JsonNode? value)
    {
        var root = JsonNode.Parse(Json(Fit(new AcceptanceCalibration(0.6f, -1.3f))))!.AsObject();
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            node = node[part]!.AsObject();
        }

        if (value is null)
        {
            node.Remove(parts[^1]);
        }
        else
        {
            node[parts[^1]] = value;
        }

        return root.ToJsonString();
    }

    [Fact]
    public void A_fit_survives_the_file_round_trip_with_and_without_a_calibration()
    {
        foreach (var fit in new[] { Fit(), Fit(new AcceptanceCalibration(0.655f, -1.367f)) })
        {
            var json = Json(fit);
            var back = Parse(json);

            back.Should().Be(fit);
            var root = JsonNode.Parse(json)!;
            ((string?)root["format"]).Should().Be("ipg-look-ahead-fit");
            ((int)root["version"]!).Should().Be(LookAheadFit.FormatVersion);
            root["validation"]!["log_loss_held_out"].Should().BeNull("a NaN is written as null, not as an invalid JSON number");
        }
    }

    [Fact]
    public void Save_and_load_bind_the_fit_to_its_model()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ipg-fit-{Guid.NewGuid():N}.json");
        try
        {
            Fit().Save(path);
            var encoder = new InMemoryEncoder(Items);
            LookAheadFit.Load(path, encoder).Should().Be(Fit());

            var sameShape = new InMemoryEncoder(TestData.RandomTable(30, 4, seed: 6));
            FluentActions.Invoking(() => LookAheadFit.Load(path, sameShape)).Should().Throw<InvalidDataException>().WithMessage("*sha256*Re-run `ipg fit`*");
            var otherShape = new InMemoryEncoder(TestData.RandomTable(31, 4, seed: 5));
            FluentActions.Invoking(() => LookAheadFit.Load(path, otherShape)).Should().Throw<InvalidDataException>().WithMessage("*30 items × d 4*31 × 4*");
            FluentActions.Invoking(() => LookAheadFit.Load(path + ".missing")).Should().Throw<FileNotFoundException>();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("format", "\"something-else\"", "*Not a look-ahead fit*")]
    [InlineData("version", "2", "*version 2*reads version 1*")]
    [InlineData("item_count", "0", "*must be positive*")]
    [InlineData("item_table_sha256", "\"abc\"", "*64 hex digits*")]
    [InlineData("affine.b", "0", "*positive b*")]
    [InlineData("affine.a", "\"x\"", "*\"a\" (number)*")]
    [InlineData("acceptance.function", "\"softmax\"", "*\"sigmoid\"*")]
    [InlineData("acceptance.scale", "-1", "*acceptance calibration is invalid*")]
    public void A_malformed_field_is_refused_with_a_message_that_names_it(string field, string value, string message)
    {
        var json = Edit(field, JsonNode.Parse(value));

        FluentActions.Invoking(() => Parse(json)).Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void Missing_required_fields_and_broken_json_are_refused_but_the_validation_block_is_optional()
    {
        FluentActions.Invoking(() => Parse(Edit("affine", null))).Should().Throw<InvalidDataException>().WithMessage("*\"affine\"*");
        FluentActions.Invoking(() => Parse(Edit("item_table_sha256", null))).Should().Throw<InvalidDataException>().WithMessage("*item_table_sha256*");
        FluentActions.Invoking(() => Parse("{ \"format\": ")).Should().Throw<InvalidDataException>().WithMessage("*not valid JSON*");
        FluentActions.Invoking(() => Parse("[1, 2]")).Should().Throw<InvalidDataException>().WithMessage("*Not a look-ahead fit*");

        var withoutValidation = Parse(Edit("validation", null));
        withoutValidation.A.Should().Be(0.93);
        double.IsNaN(withoutValidation.Validation.ResidualHeldOut).Should().BeTrue();
    }

    [Fact]
    public void ApplyTo_sets_the_fitted_move_and_the_calibration_and_keeps_everything_else()
    {
        var calibration = new AcceptanceCalibration(0.6f, -1.3f);
        var start = IpgOptions.Paper with { Strength = 0.5f };

        var options = Fit(calibration).ApplyTo(start);

        options.Guidance.Should().BeEquivalentTo(LinearGuidance.Affine(0.93f, 2.5f), o => o.RespectingRuntimeTypes());
        options.Guidance.Name.Should().Be(LinearGuidance.Affine(0.93f, 2.5f).Name);
        options.Acceptance.Should().Be(calibration);
        options.Strength.Should().Be(0.5f);
        options.NegativeGuidance.Should().Be(start.NegativeGuidance);
        Fit().ApplyTo(start with { Acceptance = calibration }).Acceptance.Should().Be(calibration, "a fit without a calibration keeps the caller's");
    }
}
