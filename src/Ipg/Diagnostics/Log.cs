using Microsoft.Extensions.Logging;

namespace Ipg.Diagnostics;

/// <summary>Source-generated, allocation-free log messages of the package. Event ids are stable.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "No candidate has positive guidance towards target {TargetItemId} ({Candidates} candidates); policy {Policy} applied.")]
    public static partial void NoPositiveGuidance(ILogger logger, int targetItemId, int candidates, NegativeGuidancePolicy policy);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "IPG re-ranker ready: {ItemCount} items, d = {Dimension}, form {Form}, γ = {Gamma}, negative guidance {Policy}.")]
    public static partial void RerankerCreated(ILogger logger, int itemCount, int dimension, GuidanceForm form, float gamma, NegativeGuidancePolicy policy);
}
