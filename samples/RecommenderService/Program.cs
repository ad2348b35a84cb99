// A recommender service with IPG, written as a reference for production use (README.md beside this file):
// POST /recommendations re-ranks the catalogue for one user towards a target item; GET /health reports the model.
// Every malformed request gets a problem-details answer naming the field; request sizes are limited ("Limits" and
// Ipg:MaxResults in appsettings.json); every response carries the model version (X-Model-Version). The model can be
// replaced while serving: with Ipg:WatchModelFile, moving a new model onto Ipg:ModelPath swaps it in; each request
// holds a lease on one model version from start to end. The address is set the standard way (ASPNETCORE_URLS,
// --urls) and is loopback (127.0.0.1:5080) when none is set.
// Run: dotnet run --project samples/RecommenderService
using Ipg;
using Ipg.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RecommenderService;

var builder = WebApplication.CreateBuilder(args);
if (!ServiceAddress.IsConfigured(builder.Configuration))
{
    builder.WebHost.UseUrls(ServiceAddress.Default);
}

builder.Services.AddIpg(builder.Configuration.GetSection(IpgServiceOptions.SectionName));
builder.Services.AddOptions<ServiceLimits>().Bind(builder.Configuration.GetSection(ServiceLimits.SectionName)).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
    context.ProblemDetails.Extensions["modelVersion"] = ServedModel.Of(context.HttpContext).Version);
var demoUsers = builder.Configuration.GetSection("DemoUsers").Get<Dictionary<string, int[]>>() ?? [];

var app = builder.Build();

// Load the model and hash it at start-up, not on the first request.
var models = app.Services.GetRequiredService<IpgModelProvider>();
int maxResults = app.Services.GetRequiredService<IOptions<IpgServiceOptions>>().Value.MaxResults;

app.UseExceptionHandler();   // an unexpected failure is a problem-details 500, never a stack trace
app.UseStatusCodePages();    // unknown routes (404) and methods (405) answer with problem details too
app.Use((context, next) =>
{
    // One model version per request, held until the response is written (a swap meanwhile waits for it).
    var lease = ServedModel.Acquire(context, models);
    // Set when the headers go out, so that an error response (whose headers the exception handler clears) has it too.
    context.Response.OnStarting(() =>
    {
        context.Response.Headers[ServedModel.Header] = lease.Model.Version;
        return Task.CompletedTask;
    });
    return next(context);
});

app.MapGet("/health", (HttpContext http, IOptions<ServiceLimits> limits) =>
{
    var model = ServedModel.Of(http);
    return Results.Ok(new
    {
        status = "ok",
        modelVersion = model.Version,
        modelSha256 = model.Sha256,
        model = model.Source,
        modelGeneration = model.Generation,
        liveModels = models.LiveModels,
        items = model.Encoder.ItemCount,
        dimension = model.Encoder.Dimension,
        maxHistoryLength = model.Encoder.MaxHistoryLength,
        options = model.Reranker.Options.ToString(),
        limits = new { limits.Value.MaxRequestBodyBytes, limits.Value.MaxHistoryLength, maxK = maxResults, defaultK = Math.Min(limits.Value.DefaultK, maxResults) },
    });
});

app.MapPost("/recommendations", async (HttpRequest http, IOptions<ServiceLimits> limits, CancellationToken cancellationToken) =>
{
    var model = ServedModel.Of(http.HttpContext);
    var (request, problem) = await RecommendationRequestReader.ReadAsync(http, limits.Value, model.Encoder.ItemCount, maxResults, cancellationToken);
    if (request is null)
    {
        return problem!;
    }

    int[]? history = request.History;
    if (history is null && !demoUsers.TryGetValue(request.UserId!, out history))
    {
        return Results.Problem($"Unknown user '{request.UserId}'; send the user's 'history' instead.", statusCode: StatusCodes.Status404NotFound, title: "Unknown user");
    }

    // The cache prepares each target once (one pass over the catalogue) and reuses it for every request.
    var ranked = model.Reranker.Recommend(history, model.Targets.GetOrPrepare(request.Target), request.K, excludedItems: history, strength: request.Strength);
    return Results.Ok(new RecommendationResponse(model.Version, request.Target, request.K, ranked.Select(r => new RecommendedItem(r.ItemId, r.Probability, r.Guidance, r.Score)).ToArray()));
    });
    
    app.Run();
    
    /// <summary>The entry point; public so that tests can host the service in memory (WebApplicationFactory).</summary>
    public partial class Program;
    