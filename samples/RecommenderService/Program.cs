// A recommender service with IPG: POST /recommendations re-ranks the catalogue for one user towards a
// target item; GET /health reports the model. Configured through appsettings.json ("Ipg" section); bound
// to 127.0.0.1. Run: dotnet run --project samples/RecommenderService
using Ipg;
using Ipg.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddIpg(builder.Configuration.GetSection(IpgServiceOptions.SectionName));
builder.Services.AddProblemDetails();
var demoUsers = builder.Configuration.GetSection("DemoUsers").Get<Dictionary<string, int[]>>() ?? [];

var app = builder.Build();
var reranker = app.Services.GetRequiredService<IpgReranker>();   // loads the model at start-up, not on the first request
var maxResults = app.Services.GetRequiredService<IOptions<IpgServiceOptions>>().Value.MaxResults;

app.MapGet("/health", () => Results.Ok(new
{
    status = "ok",
    items = reranker.Encoder.ItemCount,
    dimension = reranker.Encoder.Dimension,
    maxHistoryLength = reranker.Encoder.MaxHistoryLength,
    options = reranker.Options.ToString(),
}));

app.MapPost("/recommendations", (RecommendationRequest request) =>
{
    int[]? history = request.History;
    if (history is null && request.UserId is { } id && !demoUsers.TryGetValue(id, out history))
    {
        return Results.Problem($"Unknown user '{id}'.", statusCode: StatusCodes.Status404NotFound);
    }

    if (history is null)
    {
        return Results.Problem("Give either 'history' (item ids, oldest first) or 'userId'.", statusCode: StatusCodes.Status400BadRequest);
    }

    int k = request.K ?? 10;
    if (k < 1 || k > maxResults)
    {
        return Results.Problem($"'k' must be in 1..{maxResults}, got {k}.", statusCode: StatusCodes.Status400BadRequest);
    }

    try
    {
        // In a real service, keep prepared targets in a cache: PrepareTarget costs one pass over the catalogue.
        var target = reranker.PrepareTarget(request.Target);
        var ranked = reranker.Recommend(history, target, k, excludedItems: history);
        return Results.Ok(new RecommendationResponse(request.Target, ranked.Select(r => new RecommendedItem(r.ItemId, r.Probability, r.Guidance, r.Score)).ToArray()));
    }
    catch (ArgumentException e)
    {
        // Unknown or padding ids: the library names the argument and the bad value.
        return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
    }
});

app.Run();

/// <summary>A recommendation request: a history (or a known user id), the target item and how many items.</summary>
internal sealed record RecommendationRequest(int Target, int[]? History = null, string? UserId = null, int? K = null);

/// <summary>One recommended item with the quantities that explain its place.</summary>
internal sealed record RecommendedItem(int Item, float P, float G, float R);

/// <summary>The ranked items for the target.</summary>
internal sealed record RecommendationResponse(int Target, RecommendedItem[] Items);
