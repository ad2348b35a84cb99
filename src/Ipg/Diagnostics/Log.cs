using Microsoft.Extensions.Logging;

namespace Ipg.Diagnostics;

/// <summary>Source-generated, allocation-free log messages of the package. Event ids are stable.</summary>
internal static partial class Log
{
    // Debug, not Warning: a service hits this on every request for a target nothing leads to, which would flood its
    // logs; the count lives in the ipg.rerank.negative_guidance metric (docs/reliability.md, "Log events").
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug,
        Message = "No candidate has positive guidance towards target {Target} ({Candidates} candidates); policy {Policy} applied.")]
    public static partial void NoPositiveGuidance(ILogger logger, string target, int candidates, NegativeGuidancePolicy policy);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "IPG re-ranker ready: {ItemCount} items, d = {Dimension}, guidance {Guidance}, negative guidance {Policy}, strength {Strength}.")]
    public static partial void RerankerCreated(ILogger logger, int itemCount, int dimension, string guidance, NegativeGuidancePolicy policy, float strength);
}
