using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// Reads item metadata into one topic label per raw item id of a log (docs/real-data.md "Topics"):
/// MovieLens-1M genres and LastFM attributes.
/// </summary>
public static class ItemMetadataReader
{
    /// <summary>
    /// The first listed genre of every movie of ML-1M <c>movies.dat</c> (<c>id;title;Genre|Genre</c>, or the original
    /// <c>id::title::Genre|Genre</c>), keyed by the log's raw item id.
    /// </summary>
    /// <param name="moviesPath">The <c>movies.dat</c> file (ISO-8859-1).</param>
    /// <param name="itemMapPath">Optional <c>log-id movielens-id</c> lines (e.g. ml-1m-sas-mapping's
    /// <c>sas_to_original_items.txt</c>) when the log's item ids are not MovieLens ids; null when they are.</param>
    /// <returns>Raw log item id → genre.</returns>
    /// <exception cref="ArgumentException">A path is empty.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (file and line are named).</exception>
    /// <remarks>The first genre is MovieLens's own order of listing; it keeps a movie in exactly one topic, as the
    /// simulator needs, and gives 18 topics.</remarks>
    public static IReadOnlyDictionary<long, string> ReadMovieLens1MGenres(string moviesPath, string? itemMapPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(moviesPath);
        var byMovie = new Dictionary<long, string>();
        var name = Path.GetFileName(moviesPath);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(moviesPath, Encoding.Latin1))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var separator = line.Contains("::", StringComparison.Ordinal) ? "::" : ";";
            var first = line.IndexOf(separator, StringComparison.Ordinal);
            var last = line.LastIndexOf(separator, StringComparison.Ordinal);
            if (first <= 0 || last <= first
                || !long.TryParse(line.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var movie))
            {
                throw new InvalidDataException($"{name} line {lineNumber}: expected \"id;title;Genre|Genre\" with an integer id; the line is \"{line}\".");
            }

            var genres = line[(last + separator.Length)..].Trim();
            var genre = genres.Split('|')[0].Trim();
            if (genre.Length == 0)
            {
                throw new InvalidDataException($"{name} line {lineNumber}: expected at least one genre after the last \"{separator}\"; the line is \"{line}\".");
            }

            byMovie[movie] = genre;
        }

        if (itemMapPath is null)
        {
            return byMovie;
        }

        var result = new Dictionary<long, string>();
        foreach (var (logId, movie) in ReadIdPairs(itemMapPath))
        {
            if (byMovie.TryGetValue(movie, out var genre))
            {
                result[logId] = genre;
            }
        }

        return result;
    }

    /// <summary>
    /// The most frequent attribute of every item of an s3rec <c>*_item2attributes.json</c> (<c>{"item": [attr, …]}</c>;
    /// ties to the attribute listed first), as the label <c>attribute A</c>, keyed by raw item id.
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>Raw item id → label.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidDataException">The JSON is not an object of integer arrays keyed by integer ids.</exception>
    /// <remarks>LastFM's attributes are repeated tags; the most frequent one is the item's dominant tag, where the first
    /// one is an accident of listing order.</remarks>
    public static IReadOnlyDictionary<long, string> ReadLastFmAttributes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var name = Path.GetFileName(path);
        using var document = ParseJson(path, name);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{name}: expected a JSON object {{\"item\": [attribute, …]}}, got {document.RootElement.ValueKind}.");
        }

        var result = new Dictionary<long, string>();
        var counts = new Dictionary<long, (int Count, int First)>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!long.TryParse(property.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var item)
                || property.Value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{name}: expected an integer item id with an array of attributes, got \"{property.Name}\": {property.Value.ValueKind}.");
            }

            counts.Clear();
            var position = 0;
            foreach (var element in property.Value.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var attribute))
                {
                    throw new InvalidDataException($"{name}: item {item}: expected integer attributes, got {element.GetRawText()}.");
                }

                counts[attribute] = counts.TryGetValue(attribute, out var c) ? (c.Count + 1, c.First) : (1, position);
                position++;
            }

            if (counts.Count == 0)
            {
                continue;
            }

            var best = counts.MaxBy(kv => (kv.Value.Count, -kv.Value.First)).Key;
            result[item] = string.Create(CultureInfo.InvariantCulture, $"attribute {best}");
        }

        return result;
    }

    private static JsonDocument ParseJson(string path, string name)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
    }

    private static IEnumerable<(long From, long To)> ReadIdPairs(string path)
    {
        var name = Path.GetFileName(path);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2
                || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                throw new InvalidDataException($"{name} line {lineNumber}: expected two integers \"log-id movielens-id\"; the line is \"{line}\".");
            }

            yield return (from, to);
        }
    }
}
