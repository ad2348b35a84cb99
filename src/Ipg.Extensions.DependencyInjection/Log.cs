using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Source-generated log messages of the registration (event ids 2000+).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Loaded SASRec model {Model}: {ItemCount} items, d = {Dimension}, max length {MaxLength}, layout {Layout}.")]
    public static partial void ModelLoaded(ILogger logger, string model, int itemCount, int dimension, int maxLength, string layout);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Could not load the SASRec model {Model}.")]
    public static partial void ModelLoadFailed(ILogger logger, string model, Exception exception);
}
