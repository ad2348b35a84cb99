using Ipg.Extensions.DependencyInjection;

namespace RecommenderService;

/// <summary>
/// The model version serving one request: a lease from <see cref="IpgModelProvider"/> taken when the request
/// arrives and released when its response is finished, so that everything in the response (ranking, body, header,
/// problem details) comes from one model even while a new one is swapped in.
/// </summary>
public static class ServedModel
{
    /// <summary>The response header that carries <see cref="IpgModel.Version"/> (the first 16 hex digits of the model's SHA-256).</summary>
    public const string Header = "X-Model-Version";

    private static readonly object s_key = new();

    /// <summary>Takes the request's lease (released with the response).</summary>
    public static IpgModelLease Acquire(HttpContext context, IpgModelProvider models)
    {
        var lease = models.Acquire();
        context.Response.RegisterForDispose(lease);
        context.Items[s_key] = lease;
        return lease;
    }

    /// <summary>The model of the request's lease.</summary>
    public static IpgModel Of(HttpContext context) => ((IpgModelLease)context.Items[s_key]!).Model;
}
