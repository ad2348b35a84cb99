using Microsoft.Extensions.Logging;

namespace Ipg.Diagnostics;

/// <summary>Source-generated, allocation-free log messages of the package. Event ids are stable.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "No candidate has positive guidance towards target {Target} ({Candidates} candidates); policy {Policy} applied.")]
    public static partial void NoPositiveGuidance(ILogger logger, string target, int candidates, NegativeGuidancePolicy policy);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "IPG re-ranker ready: {ItemCount} items, d = {Dimension}, guidance {Guidance}, negative guidance {Policy}, strength {Strength}.")]
    public static partial void RerankerCreated(ILogger logger, int itemCount, int dimension, string guidance, NegativeGuidancePolicy policy, float strength);
}
