namespace RecommenderService;

/// <summary>
/// Where the service listens. The address is set the standard ASP.NET Core way — <c>ASPNETCORE_URLS</c>,
/// <c>--urls</c>, <c>ASPNETCORE_HTTP_PORTS</c> / <c>HTTPS_PORTS</c>, or a <c>Kestrel:Endpoints</c> section — and when
/// none of these is set, the service binds <see cref="Default"/>, loopback only.
/// </summary>
public static class ServiceAddress
{
    /// <summary>The address used when the configuration names none: loopback, port 5080.</summary>
    public const string Default = "http://127.0.0.1:5080";

    /// <summary>True when <paramref name="configuration"/> names an address (any of the standard settings).</summary>
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"])
        || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
