using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ipg.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ipg.Tests.Diagnostics;

[Collection(nameof(TelemetryCollection))]
public class IpgTelemetryTests
{
    private static readonly float[] HandUser = [0.5f, 0.5f];

    [Fact]
    public void Rerank_publishes_duration_candidates_and_negative_guidance()
    {
        var measurements = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IpgTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (measurements) { measurements.Add((i.Name, v)); } });
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (measurements) { measurements.Add((i.Name, v)); } });
        listener.Start();

        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Paper);
        var positive = reranker.PrepareTarget(2);
        reranker.RerankCatalogue(HandUser, positive, new RankedItem[2]);

        // User (2, 0) towards target 1: every g < 0 (see IpgRerankerTests).
        var negative = reranker.PrepareTarget(1);
        reranker.RerankCandidates([2f, 0f], negative, [1, 2, 3], new RankedItem[2]);
        listener.Dispose();

        List<(string Name, double Value)> mine;
        lock (measurements)
        {
            mine = [.. measurements];
        }

        mine.Where(m => m.Name == "ipg.rerank.candidates").Select(m => m.Value).Should().Contain([4d, 3d]);
        mine.Where(m => m.Name == "ipg.rerank.duration").Should().HaveCountGreaterThanOrEqualTo(2).And.OnlyContain(m => m.Value >= 0 && m.Value < 10);
        mine.Count(m => m.Name == "ipg.rerank.negative_guidance").Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public void Rerank_starts_an_activity_when_sampled()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == IpgTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (stopped) { stopped.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);

        var reranker = new IpgReranker(TestData.HandEncoder());
        reranker.RerankCatalogue(HandUser, reranker.PrepareTarget(2), new RankedItem[3]);

        lock (stopped)
        {
            stopped.Should().Contain(a => a.OperationName == "Ipg.Rerank" && (int)a.GetTagItem("ipg.target")! == 2 && (int)a.GetTagItem("ipg.k")! == 3);
        }
    }

    [Fact]
    public void Logs_creation_and_a_debug_entry_when_no_candidate_guides()
    {
        var logger = new ListLogger(LogLevel.Trace);
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Default, logger);
        reranker.RerankCatalogue(HandUser, reranker.PrepareTarget(2), new RankedItem[2]);
        logger.Entries.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);

        reranker.RerankCatalogue([2f, 0f], reranker.PrepareTarget(1), new RankedItem[2]);
        logger.Entries.Should().HaveCount(2);
        logger.Entries[1].Level.Should().Be(LogLevel.Debug);
        logger.Entries[1].EventId.Should().Be(1001);
        logger.Entries[1].Message.Should().Contain("target item 1").And.Contain("AccuracyFallback");
    }

    [Fact]
    public void At_information_level_a_thousand_requests_without_positive_guidance_log_nothing_but_are_counted()
    {
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IpgTelemetry.MeterName && instrument.Name == "ipg.rerank.negative_guidance")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref counted, v));
        listener.Start();

        var logger = new ListLogger(LogLevel.Information);
        var reranker = new IpgReranker(TestData.HandEncoder(), IpgOptions.Default, logger);
        var target = reranker.PrepareTarget(1);
        for (int i = 0; i < 1000; i++)
        {
            reranker.RerankCatalogue([2f, 0f], target, new RankedItem[2]);
        }

        listener.Dispose();
        logger.Entries.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information, "only the creation is logged; the service's log is not flooded");
        Interlocked.Read(ref counted).Should().BeGreaterThanOrEqualTo(1000, "every such re-rank is counted by the metric");
    }

    private sealed class ListLogger(LogLevel minimum) : ILogger<IpgReranker>
    {
        public List<(LogLevel Level, int EventId, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            if (IsEnabled(logLevel))
            {
                Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
            }
        }
    }
}
