using System.ComponentModel.DataAnnotations;

namespace RecommenderService;

/// <summary>
/// The request-size limits of the service, bound from the <c>"Limits"</c> section of appsettings.json and validated at
/// start-up. K's limit is <c>Ipg:MaxResults</c> (<see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions.MaxResults"/>).
/// </summary>
public sealed class ServiceLimits
{
    /// <summary>The configuration section, "Limits".</summary>
    public const string SectionName = "Limits";

    /// <summary>The largest request body in bytes; a larger one is refused with 413 before it is parsed. Default 64 KiB.</summary>
    [Range(64, 16 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// The longest history a request may send; a longer one is refused with 400 naming the limit. The model reads only
    /// its L most recent items, so this bounds the work of validating ids and excluding them, not the model's. Default 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxHistoryLength { get; set; } = 1_000;

    /// <summary>K when a request does not say (capped at <c>Ipg:MaxResults</c>). Default 10.</summary>
    [Range(1, 1_000_000)]
    public int DefaultK { get; set; } = 10;
}
