using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Tests;

public class AcceptanceCalibrationTests
{
    private static (float[] Logits, bool[] Accepted) Draw(double a, double b, int count, int seed)
    {
        var random = new Random(seed);
        var logits = new float[count];
        var accepted = new bool[count];
        for (int s = 0; s < count; s++)
        {
            logits[s] = (float)((random.NextDouble() * 8) - 4);
            accepted[s] = random.NextDouble() < 1 / (1 + Math.Exp(-((a * logits[s]) + b)));
        }

        return (logits, accepted);
    }

    [Theory]
    [InlineData(0.5, -1.0)]
    [InlineData(2.0, 0.5)]
    [InlineData(1.0, 0.0)]
    public void Fit_recovers_the_parameters_of_a_logistic_acceptance(double a, double b)
    {
        var (logits, accepted) = Draw(a, b, 40_000, seed: 3);

        var fit = AcceptanceCalibration.Fit(logits, accepted);

        fit.Scale.Should().BeApproximately((float)a, (float)(0.06 * a));
        fit.Bias.Should().BeApproximately((float)b, 0.06f);
        fit.LogLoss(logits, accepted).Should().BeLessThanOrEqualTo(new AcceptanceCalibration((float)a, (float)b).LogLoss(logits, accepted) + 1e-9, "the maximum-likelihood fit is at least as likely in sample as the truth");
    }

    [Fact]
    public void Apply_is_the_scaled_and_shifted_sigmoid_and_identity_is_the_sigmoid()
    {
        float[] logits = [-3f, -0.5f, 0f, 1f, 4f];
        var destination = new float[5];

        new AcceptanceCalibration(0.5f, -1f).Apply(logits, destination);
        for (int s = 0; s < logits.Length; s++)
        {
            destination[s].Should().BeApproximately(1f / (1f + MathF.Exp(-((0.5f * logits[s]) - 1f))), 1e-6f);
        }

        AcceptanceCalibration.Identity.Apply(logits, destination);
        destination.Should().Equal(logits.Select(x => 1f / (1f + MathF.Exp(-x))), (x, y) => Math.Abs(x - y) < 1e-6f);
    }

    [Fact]
    public void Fit_refuses_what_it_cannot_calibrate()
    {
        var act1 = () => AcceptanceCalibration.Fit([1f, 2f], [true]);
        act1.Should().Throw<ArgumentException>().WithMessage("*2 logits but 1 outcomes*");
        var act2 = () => AcceptanceCalibration.Fit([1f, 2f, 3f], [false, false, false]);
        act2.Should().Throw<ArgumentException>().WithMessage("*both accepted and rejected*all 3 were rejected*");
        var act3 = () => AcceptanceCalibration.Fit([1f, float.NaN], [true, false]);
        act3.Should().Throw<ArgumentException>().WithMessage("*Logit 1 is NaN*");

        // Higher logits accepted less often: no positive scale fits, and a negative one would reverse the base ranking.
        var (logits, accepted) = Draw(-1.5, 0, 5000, seed: 9);
        var act4 = () => AcceptanceCalibration.Fit(logits, accepted);
        act4.Should().Throw<ArgumentException>().WithMessage("*do not rank accepted items above rejected*");
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(-1f, 0f)]
    [InlineData(float.NaN, 0f)]
    [InlineData(1f, float.PositiveInfinity)]
    public void Invalid_parameters_are_refused_by_the_options(float scale, float bias)
    {
        var options = IpgOptions.Default with { Acceptance = new AcceptanceCalibration(scale, bias) };
        var act = () => new IpgReranker(new InMemoryEncoder(TestData.HandTable()), options);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void The_reranker_uses_the_calibrated_probability_and_identity_changes_nothing()
    {
        var items = TestData.RandomTable(50, 6, seed: 5);
        var encoder = new InMemoryEncoder(items);
        var user = TestData.RandomVector(6, new Random(2));
        var plain = new IpgReranker(encoder, IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        var identity = new IpgReranker(encoder, plain.Options with { Acceptance = AcceptanceCalibration.Identity });
        var calibration = new AcceptanceCalibration(0.4f, -2f);
        var calibrated = new IpgReranker(encoder, plain.Options with { Acceptance = calibration });
        var target = plain.PrepareTarget(7);

        var a = Rank(plain, user, target);
        Rank(identity, user, target).Should().Equal(a);

        var c = Rank(calibrated, user, target);
        foreach (var item in c)
        {
            float logit = System.Numerics.Tensors.TensorPrimitives.Dot(user, items[item.ItemId]);
            item.Probability.Should().BeApproximately(1f / (1f + MathF.Exp(-((0.4f * logit) - 2f))), 1e-6f);
            item.Score.Should().BeApproximately(item.Probability * item.Guidance, 1e-6f);
        }

        c.Select(x => x.ItemId).Should().NotEqual(a.Select(x => x.ItemId), "a flatter p̂ weighs guidance more against accuracy");
    }

    private static RankedItem[] Rank(IpgReranker reranker, float[] user, GuidanceTarget target)
    {
        var destination = new RankedItem[50];
        int written = reranker.RerankCatalogue(user, target, destination);
        return destination[..written];
    }
}
