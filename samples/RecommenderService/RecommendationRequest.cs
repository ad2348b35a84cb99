using System.Globalization;
using System.Text.Json;

namespace RecommenderService;

/// <summary>A validated recommendation request.</summary>
/// <param name="Target">The item to guide the user towards, 1..N.</param>
/// <param name="History">The user's items, oldest first (each 1..N); null when the request names a <paramref name="UserId"/>.</param>
/// <param name="UserId">A known (demo) user whose history the service holds; null when the request sends its history.</param>
/// <param name="K">How many items to return, 1..<c>Ipg:MaxResults</c>.</param>
/// <param name="Strength">The guidance strength λ in [0, 1]; null for the configured default.</param>
public sealed record RecommendationRequest(int Target, int[]? History, string? UserId, int K, float? Strength);

/// <summary>One recommended item with the quantities that explain its place: p̂, the guidance g and the score r.</summary>
public sealed record RecommendedItem(int Item, float P, float G, float R);

/// <summary>The ranked items for the target, and the version of the model that ranked them.</summary>
public sealed record RecommendationResponse(string ModelVersion, int Target, int K, RecommendedItem[] Items);

/// <summary>
/// Reads and validates a <c>POST /recommendations</c> body. Every way a body can be wrong ends in a problem-details
/// response that names the field and says what is wrong: 415 for a content type that is not JSON, 413 for a body over
/// <see cref="ServiceLimits.MaxRequestBodyBytes"/>, 400 for everything else (empty body, malformed JSON, a value of the
/// wrong type, an unknown field, a missing target, ids outside 1..N, K or the history length over its limit).
/// </summary>
/// <remarks>
/// The body is parsed by hand (<see cref="JsonDocument"/>) rather than by model binding: minimal APIs answer a body that
/// does not bind with an empty 400 and a default of 0 for a missing <c>int</c>, so a client could not tell what was wrong.
/// </remarks>
public static class RecommendationRequestReader
{
    /// <summary>The fields a request may have.</summary>
    public static readonly string[] Fields = ["target", "history", "userId", "k", "strength"];

    private const int MaxErrorsPerField = 5;

    /// <summary>Reads the body of <paramref name="request"/>; returns the request, or the problem to answer with.</summary>
    /// <param name="request">The HTTP request.</param>
    /// <param name="limits">The request-size limits.</param>
    /// <param name="itemCount">N, the model's catalogue size: ids are 1..N.</param>
    /// <param name="maxResults">The largest K (<c>Ipg:MaxResults</c>).</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public static async Task<(RecommendationRequest? Request, IResult? Problem)> ReadAsync(
        HttpRequest request, ServiceLimits limits, int itemCount, int maxResults, CancellationToken cancellationToken)
    {
        if (request.ContentType is { } contentType && !IsJson(contentType))
        {
            return (null, Results.Problem(
                $"Content-Type must be application/json, got '{contentType}'.",
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type"));
        }

        if (request.ContentLength > limits.MaxRequestBodyBytes)
        {
            return (null, TooLarge(limits));
        }

        var body = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (body.Length + read > limits.MaxRequestBodyBytes)
            {
                return (null, TooLarge(limits));
            }

            body.Write(chunk, 0, read);
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (body.Length == 0 || body.ToArray().All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            Add(errors, "body", "The request body is empty: send a JSON object such as {\"target\": 2277, \"history\": [12, 873], \"k\": 10}.");
            return (null, Invalid(errors));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            Add(errors, "body", $"The body is not valid JSON: {e.Message}");
            return (null, Invalid(errors));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                Add(errors, "body", $"The body must be a JSON object, got {Describe(document.RootElement)}.");
                return (null, Invalid(errors));
            }

            return Validate(document.RootElement, limits, itemCount, maxResults, errors);
        }
    }

    private static (RecommendationRequest?, IResult?) Validate(JsonElement root, ServiceLimits limits, int itemCount, int maxResults, Dictionary<string, List<string>> errors)
    {
        int? target = null;
        int[]? history = null;
        string? userId = null;
        int? k = null;
        float? strength = null;
        bool hasHistory = false, hasUser = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string? field = Array.Find(Fields, f => string.Equals(f, property.Name, StringComparison.OrdinalIgnoreCase));
            if (field is null)
            {
                Add(errors, property.Name, $"Unknown field '{property.Name}'; the fields are {string.Join(", ", Fields)}.");
                continue;
            }

            if (!seen.Add(field))
            {
                Add(errors, field, $"'{field}' is given more than once.");
                continue;
            }

            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            switch (field)
            {
                case "target":
                    target = ItemId(value, "target", itemCount, errors);
                    break;
                case "history":
                    hasHistory = true;
                    history = History(value, limits.MaxHistoryLength, itemCount, errors);
                    break;
                case "userId":
                    hasUser = true;
                    if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } id)
                    {
                        userId = id;
                    }
                    else
                    {
                        Add(errors, "userId", $"'userId' must be a non-empty string, got {Describe(value)}.");
                    }

                    break;
                case "k":
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int kValue) && kValue >= 1 && kValue <= maxResults)
                    {
                        k = kValue;
                    }
                    else
                    {
                        Add(errors, "k", $"'k' must be an integer in 1..{maxResults} (Ipg:MaxResults), got {Describe(value)}.");
                    }

                    break;
                case "strength":
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out float s) && float.IsFinite(s) && s is >= 0f and <= 1f)
                    {
                        strength = s;
                    }
                    else
                    {
                        Add(errors, "strength", $"'strength' must be a number in [0, 1], got {Describe(value)}.");
                    }

                    break;
            }
        }

        if (target is null && !errors.ContainsKey("target"))
        {
            Add(errors, "target", $"'target' is required: the item id (1..{itemCount}) to guide the user towards.");
        }

        if (hasHistory && hasUser)
        {
            Add(errors, "userId", "Give either 'history' or 'userId', not both.");
        }
        else if (!hasHistory && !hasUser)
        {
            Add(errors, "history", "Give either 'history' (item ids, oldest first; [] for a new user) or 'userId'.");
        }

        return errors.Count > 0
            ? (null, Invalid(errors))
            : (new RecommendationRequest(target!.Value, history, userId, k ?? Math.Min(limits.DefaultK, maxResults), strength), null);
    }

    /// <summary>The id, or null after adding an error to <paramref name="errors"/> (unless null: past the error cap).</summary>
    private static int? ItemId(JsonElement value, string field, int itemCount, Dictionary<string, List<string>>? errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 1 && id <= itemCount)
        {
            return id;
        }

        if (errors is null)
        {
            return null;
        }

        string why = value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int zero) && zero == 0 ? " (0 is padding, not an item)" : "";
        Add(errors, field, $"'{field}' must be an item id, an integer in 1..{itemCount}, got {Describe(value)}{why}.");
        return null;
    }

    private static int[]? History(JsonElement value, int maxLength, int itemCount, Dictionary<string, List<string>> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            Add(errors, "history", $"'history' must be an array of item ids (oldest first), got {Describe(value)}.");
            return null;
        }

        int length = value.GetArrayLength();
        if (length > maxLength)
        {
            Add(errors, "history", $"'history' has {length} items; the limit is {maxLength} (Limits:MaxHistoryLength). Send the most recent ones: the model reads only its last items.");
            return null;
        }

        var ids = new int[length];
        int bad = 0;
        int i = 0;
        foreach (var element in value.EnumerateArray())
        {
            if (ItemId(element, $"history[{i}]", itemCount, bad < MaxErrorsPerField ? errors : null) is { } id)
            {
                ids[i] = id;
            }
            else
            {
                bad++;
            }

            i++;
        }

        if (bad > MaxErrorsPerField)
        {
            Add(errors, "history", $"{bad} ids in 'history' are not item ids in 1..{itemCount} (the first {MaxErrorsPerField} are listed).");
        }

        return bad == 0 ? ids : null;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Truncate(value.GetRawText())}",
        JsonValueKind.Number => Truncate(value.GetRawText()),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => $"an array of {value.GetArrayLength().ToString(CultureInfo.InvariantCulture)} values",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static bool IsJson(string contentType)
    {
        string mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    private static IResult Invalid(Dictionary<string, List<string>> errors) => Results.ValidationProblem(
        errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
        detail: string.Join(" ", errors.Values.SelectMany(v => v).Take(3)),
        title: "The request is invalid.");

    private static IResult TooLarge(ServiceLimits limits) => Results.Problem(
        $"The request body is larger than {limits.MaxRequestBodyBytes} bytes (Limits:MaxRequestBodyBytes).",
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large");
}
