using System.Globalization;
using System.Security.Cryptography;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// Builds a <see cref="RealDataWorld"/> from an <see cref="InteractionLog"/> (docs/real-data.md): leave-last-out split,
/// implicit-feedback ALS ground truth fitted on the train split, normalisation (users to unit length, items per
/// <see cref="WorldBuildOptions.ItemNormalization"/>), topics from metadata or k-means, and
/// the click offset calibrated so that random (user, item) pairs are clicked at <see cref="WorldBuildOptions.TargetRandomClickRate"/>.
/// </summary>
public static class WorldBuilder
{
    /// <summary>Topic name of catalogue items the metadata does not cover.</summary>
    public const string UnknownTopic = "unknown";

    /// <summary>Topic name of the metadata labels merged by <see cref="WorldBuildOptions.MaxMetadataTopics"/>.</summary>
    public const string OtherTopic = "other";

    /// <summary>Builds a world.</summary>
    /// <param name="log">The interaction log.</param>
    /// <param name="options">Parameters; validated.</param>
    /// <param name="itemLabels">Optional topic label per raw item id (<see cref="ItemMetadataReader"/>); null for k-means topics.</param>
    /// <param name="metadataSha256">Lower-case hex SHA-256 of the metadata file (recorded in the world); required with <paramref name="itemLabels"/>.</param>
    /// <param name="progress">Optional progress lines (one per stage and ALS sweep).</param>
    /// <param name="cancellationToken">Cancels between stages and ALS rows.</param>
    /// <returns>The world.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="log"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid, the metadata hash is missing or malformed, or no user has
    /// enough interactions.</exception>
    public static RealDataWorld Build(
        InteractionLog log,
        WorldBuildOptions options,
        IReadOnlyDictionary<long, string>? itemLabels = null,
        string? metadataSha256 = null,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        byte[]? metadataHash = null;
        if (itemLabels is not null)
        {
            if (metadataSha256 is null || metadataSha256.Length != 64 || !metadataSha256.All(char.IsAsciiHexDigitLower))
            {
                throw new ArgumentException($"metadataSha256 must be 64 lower-case hex characters when itemLabels are given, got \"{metadataSha256}\".", nameof(metadataSha256));
            }

            metadataHash = Convert.FromHexString(metadataSha256);
        }

        var split = LeaveLastOutSplit.Create(log, options.MinInteractions);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"split: {split.Users.Length} users, {split.Items.Length} items, {split.TrainInteractions} train interactions (dropped {split.Dropped.ShortHistories} users with < {options.MinInteractions} interactions, {split.Dropped.HeldOutOutsideCatalogue} whose held-out item has no train interaction, {split.Dropped.ItemsWithoutTrainInteractions} items)"));
        cancellationToken.ThrowIfCancellationRequested();

        var n = split.Items.Length;
        var d = options.Dimension;
        var zeroBased = Array.ConvertAll(split.Train, h => Array.ConvertAll(h, id => id - 1));
        var (userVectors, itemVectors) = ImplicitAls.Fit(
            zeroBased,
            n,
            options,
            sweep => progress?.Report(string.Create(CultureInfo.InvariantCulture, $"als: sweep {sweep}/{options.Iterations}")),
            cancellationToken);
        NormaliseRows(userVectors, d);
        var unitItems = (double[])itemVectors.Clone();
        NormaliseRows(unitItems, d);
        if (options.ItemNormalization == ItemVectorNormalization.Unit)
        {
            itemVectors = unitItems;
        }
        else
        {
            ScaleByLargestNorm(itemVectors, d);
        }

        var rawItems = new long[n];
        for (var i = 0; i < n; i++)
        {
            rawItems[i] = log.RawItemIds[split.Items[i] - 1];
        }

        var (itemTopics, topicNames) = itemLabels is null
            ? ClusterTopics(unitItems, d, options)
            : LabelTopics(rawItems, itemLabels, options.MaxMetadataTopics);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"topics: {topicNames.Length} ({(itemLabels is null ? "k-means of the item vectors" : "metadata")})"));
        var directions = TopicDirections(unitItems, itemTopics, topicNames.Length, d);
        cancellationToken.ThrowIfCancellationRequested();

        var offset = ClickCalibration.CalibrateOffset(userVectors, itemVectors, d, options.Slope, options.TargetRandomClickRate, options.CalibrationSamples, options.Seed);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"calibration: offset {offset:F4} (slope {options.Slope}, random click rate {options.TargetRandomClickRate})"));

        var rawUsers = Array.ConvertAll(split.Users, u => log.RawUserIds[u]);
        return new RealDataWorld(
            options,
            offset,
            userVectors,
            itemVectors,
            itemTopics,
            topicNames,
            directions,
            split.Train,
            split.HeldOut,
            rawUsers,
            rawItems,
            log.SourceKind,
            Convert.FromHexString(log.SourceSha256),
            metadataHash,
            split.Dropped);
    }

    /// <summary>The lower-case hex SHA-256 of a file (for <c>metadataSha256</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>64 hex characters.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static string FileSha256(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static void ScaleByLargestNorm(double[] rows, int d)
    {
        var largest = 0.0;
        for (var r = 0; r < rows.Length / d; r++)
        {
            largest = Math.Max(largest, DeterministicMath.Norm(rows.AsSpan(r * d, d)));
        }

        if (largest > 0)
        {
            for (var k = 0; k < rows.Length; k++)
            {
                rows[k] /= largest;
            }
        }
    }

    private static void NormaliseRows(double[] rows, int d)
    {
        for (var r = 0; r < rows.Length / d; r++)
        {
            var row = rows.AsSpan(r * d, d);
            var norm = DeterministicMath.Norm(row);
            if (norm > 0)
            {
                for (var j = 0; j < d; j++)
                {
                    row[j] /= norm;
                }
            }
            else
            {
                // A factor can only be exactly zero without any interaction; give it a fixed unit direction.
                row[0] = 1;
            }
        }
    }

    private static (int[] Topics, string[] Names) ClusterTopics(double[] itemVectors, int d, WorldBuildOptions options)
    {
        var topics = SphericalKMeans.Cluster(itemVectors, d, options.Topics, options.Seed);
        var count = topics.Max() + 1;
        var names = new string[count];
        for (var t = 0; t < count; t++)
        {
            names[t] = string.Create(CultureInfo.InvariantCulture, $"cluster {t}");
        }

        return (topics, names);
    }

    private static (int[] Topics, string[] Names) LabelTopics(long[] rawItems, IReadOnlyDictionary<long, string> labels, int? maxTopics)
    {
        var itemLabel = Array.ConvertAll(rawItems, id => labels.TryGetValue(id, out var l) && !string.IsNullOrWhiteSpace(l) ? l : UnknownTopic);
        var sizes = itemLabel.GroupBy(l => l, StringComparer.Ordinal).Select(g => (Name: g.Key, Size: g.Count()))
            .OrderByDescending(x => x.Size).ThenBy(x => x.Name, StringComparer.Ordinal).ToList();
        if (maxTopics is { } max && sizes.Count > max)
        {
            var kept = sizes.Take(max - 1).Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < itemLabel.Length; i++)
            {
                if (!kept.Contains(itemLabel[i]))
                {
                    itemLabel[i] = OtherTopic;
                }
            }

            return LabelTopics(rawItems.Length, itemLabel);
        }

        return LabelTopics(rawItems.Length, itemLabel);
    }

    private static (int[] Topics, string[] Names) LabelTopics(int n, string[] itemLabel)
    {
        var names = itemLabel.GroupBy(l => l, StringComparer.Ordinal).Select(g => (Name: g.Key, Size: g.Count()))
            .OrderByDescending(x => x.Size).ThenBy(x => x.Name, StringComparer.Ordinal).Select(x => x.Name).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var t = 0; t < names.Length; t++)
        {
            index[names[t]] = t;
        }

        var topics = new int[n];
        for (var i = 0; i < n; i++)
        {
            topics[i] = index[itemLabel[i]];
        }

        return (topics, names);
    }

    private static double[] TopicDirections(double[] itemVectors, int[] itemTopics, int topics, int d)
    {
        var directions = new double[topics * d];
        for (var i = 0; i < itemTopics.Length; i++)
        {
            var target = directions.AsSpan(itemTopics[i] * d, d);
            for (var j = 0; j < d; j++)
            {
                target[j] += itemVectors[(i * d) + j];
            }
        }

        NormaliseRows(directions, d);
        return directions;
    }
}
