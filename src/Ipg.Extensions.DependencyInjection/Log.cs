using Ipg.Encoders;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Source-generated log messages of the registration (event ids 2000+).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Loaded SASRec model {Model}: {ItemCount} items, d = {Dimension}, max length {MaxLength}, layout {Layout}; forward pass {Kernel}: {KernelChoice}.")]
    public static partial void ModelLoaded(ILogger logger, string model, int itemCount, int dimension, int maxLength, string layout, SasRecKernel kernel, string kernelChoice);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Could not load the SASRec model {Model}.")]
    public static partial void ModelLoadFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Swapped the served model {OldVersion} for {NewVersion} (generation {Generation}, {Source}); requests already running finish on the old one.")]
    public static partial void ModelSwapped(ILogger logger, string oldVersion, string newVersion, long generation, string source);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Retired model {Version} (generation {Generation}): its last request finished and its encoder is disposed.")]
    public static partial void ModelRetired(ILogger logger, string version, long generation);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Refused the new model {Model}; model {CurrentVersion} keeps serving.")]
    public static partial void ModelReloadFailed(ILogger logger, string model, string currentVersion, Exception exception);
}
