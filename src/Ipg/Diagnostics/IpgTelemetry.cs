using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ipg.Diagnostics;

/// <summary>
/// The names under which Ipg publishes metrics (<see cref="System.Diagnostics.Metrics"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>). Subscribe with OpenTelemetry's
/// <c>AddMeter(IpgTelemetry.MeterName)</c> and <c>AddSource(IpgTelemetry.ActivitySourceName)</c>.
/// </summary>
/// <remarks>
/// Instruments:
/// <list type="table">
/// <item><term><c>ipg.rerank.duration</c></term><description>Histogram, seconds: time to score and select one user's list.</description></item>
/// <item><term><c>ipg.rerank.candidates</c></term><description>Counter, items: candidates scored.</description></item>
/// <item><term><c>ipg.rerank.negative_guidance</c></term><description>Counter, re-ranks: re-ranks in which no candidate had positive guidance (see <see cref="NegativeGuidancePolicy"/>).</description></item>
/// <item><term><c>ipg.encoder.batch_size</c></term><description>Histogram, users: histories per encoder call.</description></item>
/// </list>
/// Activities: <c>Ipg.Rerank</c> (tags <c>ipg.target</c>, <c>ipg.candidates</c>, <c>ipg.k</c>) and
/// <c>Ipg.Encode</c> (tag <c>ipg.batch_size</c>). With no listener attached, recording costs a few
/// branches and allocates nothing.
/// </remarks>
public static class IpgTelemetry
{
    /// <summary>The meter's name, "Ipg".</summary>
    public const string MeterName = "Ipg";

    /// <summary>The activity source's name, "Ipg".</summary>
    public const string ActivitySourceName = "Ipg";

    private static readonly string Version = typeof(IpgTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);

    internal static readonly Meter Meter = new(MeterName, Version);

    internal static readonly Histogram<double> RerankDuration =
        Meter.CreateHistogram<double>("ipg.rerank.duration", unit: "s", description: "Time to score and select one user's re-ranked list.");

    internal static readonly Counter<long> CandidatesScored =
        Meter.CreateCounter<long>("ipg.rerank.candidates", unit: "{item}", description: "Candidates scored by the re-ranker.");

    internal static readonly Counter<long> NegativeGuidance =
        Meter.CreateCounter<long>("ipg.rerank.negative_guidance", unit: "{rerank}", description: "Re-ranks in which no candidate had positive guidance towards the target.");

    /// <summary>For encoders: users per call. Public encoders in this package record it; custom encoders may use <see cref="RecordEncoderBatch"/>.</summary>
    internal static readonly Histogram<int> EncoderBatchSize =
        Meter.CreateHistogram<int>("ipg.encoder.batch_size", unit: "{user}", description: "Histories per encoder call.");

    /// <summary>Records one encoder call of <paramref name="batchSize"/> histories (for custom <see cref="ISequentialEncoder"/> implementations).</summary>
    /// <param name="batchSize">Histories encoded in the call.</param>
    public static void RecordEncoderBatch(int batchSize) => EncoderBatchSize.Record(batchSize);
}
