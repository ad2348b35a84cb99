using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ipg.Guidance;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Metrics;
using Ipg.Policies;

namespace Ipg.Simulation.Reproduction;

/// <summary>
/// One part of a reproduction split over machines (<c>ipg reproduce --shard i/n</c>): shard <see cref="Index"/> of
/// <see cref="Count"/> runs a contiguous block of the experiment's targets (each target's run depends only on the
/// target, so the blocks together give exactly the single run's per-target metrics).
/// </summary>
public sealed record ReproductionShard
{
    /// <summary>Creates shard <paramref name="index"/> (1-based) of <paramref name="count"/>.</summary>
    /// <param name="index">The shard, 1..<paramref name="count"/>.</param>
    /// <param name="count">The number of shards (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is below 1 or the index outside 1..count.</exception>
    public ReproductionShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (index < 1 || index > count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The shard index must be in 1..{count}.");
        }

        Index = index;
        Count = count;
    }

    /// <summary>The shard, 1-based.</summary>
    public int Index { get; }

    /// <summary>The number of shards.</summary>
    public int Count { get; }

    /// <summary>The file name a shard writes into its output folder: <c>shard-0003-of-0016.json</c>.</summary>
    public string FileName => string.Create(CultureInfo.InvariantCulture, $"shard-{Index:D4}-of-{Count:D4}.json");

    /// <summary>Parses <c>i/n</c> (1-based), as <c>--shard</c> takes it.</summary>
    /// <param name="text">The text, e.g. <c>2/4</c>.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="FormatException">The text is not <c>i/n</c> with 1 ≤ i ≤ n.</exception>
    public static ReproductionShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index >= 1 && index <= count)
        {
            return new ReproductionShard(index, count);
        }

        throw new FormatException($"'{text}' is not a shard: expected i/n with 1 <= i <= n (e.g. 2/4).");
    }

    /// <summary>
    /// The indices (0-based, into the experiment's target list) this shard runs: a contiguous block, the first
    /// <c>targets mod n</c> blocks one target longer. Empty when there are more shards than targets.
    /// </summary>
    /// <param name="targetCount">The experiment's number of targets.</param>
    /// <returns>The indices, increasing.</returns>
    public IReadOnlyList<int> TargetIndices(int targetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetCount, 1);
        int size = targetCount / Count;
        int extra = targetCount % Count;
        int i = Index - 1;
        int start = (i * size) + Math.Min(i, extra);
        int length = size + (i < extra ? 1 : 0);
        return Enumerable.Range(start, length).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}

/// <summary>
/// Writes a shard's partial results and merges a complete set of them into the <c>results.json</c> a single run
/// writes (<see cref="ReproductionReport.WriteJson(Stream, ReproductionResult, IReadOnlyDictionary{string, string}?)"/>):
/// the same config and bit-identical metrics; only the timings (the shards' sum) and the machine (the first
/// shard's) differ, and the config gains <c>shards</c>. Format: <c>docs/distributed.md</c>.
/// </summary>
public static class ReproductionShards
{
    /// <summary>The format tag of a shard file.</summary>
    public const string Format = "ipg-reproduction-shard/1";

    /// <summary>
    /// Writes shard <paramref name="shard"/>'s results: the run's config (with the whole experiment's targets),
    /// which targets it ran, and every policy's per-target metrics at full precision.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="allTargetIds">The whole experiment's targets (the shard ran <see cref="ReproductionShard.TargetIndices"/> of them).</param>
    /// <param name="result">The shard's run (its targets: the shard's block, in order).</param>
    /// <param name="confidenceLevel">The interval level the merged summary uses.</param>
    /// <param name="extraConfig">More configuration entries to record, as for results.json.</param>
    /// <exception cref="ArgumentException">The result's targets are not the shard's block of <paramref name="allTargetIds"/>.</exception>
    public static void Write(Stream destination, ReproductionShard shard, IReadOnlyList<int> allTargetIds, ReproductionResult result, double confidenceLevel = 0.95, IReadOnlyDictionary<string, string>? extraConfig = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(allTargetIds);
        ArgumentNullException.ThrowIfNull(result);
        var indices = shard.TargetIndices(allTargetIds.Count);
        if (!indices.Select(i => allTargetIds[i]).SequenceEqual(result.TargetItemIds))
        {
            throw new ArgumentException($"The result's targets are not shard {shard}'s block of the experiment's {allTargetIds.Count} targets.", nameof(result));
        }

        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("shard", shard.Index);
        json.WriteNumber("shards", shard.Count);
        json.WriteNumber("confidence_level", confidenceLevel);
        json.WriteStartArray("target_indices");
        foreach (int i in indices)
        {
            json.WriteNumberValue(i);
        }

        json.WriteEndArray();
        json.WriteStartObject("config");
        ReproductionReport.WriteConfig(json, result, allTargetIds, extraConfig);
        json.WriteEndObject();
        json.WriteStartArray("policies");
        foreach (var policy in result.Policies)
        {
            json.WriteStartObject();
            json.WriteString("name", policy.PolicyName);
            if (policy.Guidance is { } g)
            {
                json.WriteStartObject("guidance");
                json.WriteString("model", g.Model);
                json.WriteString("negative_guidance", g.NegativeGuidance.ToString());
                json.WriteNumber("strength", g.Strength);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("guidance");
            }

            json.WriteNumber("elapsed_ticks", policy.Elapsed.Ticks);
            json.WriteStartArray("targets");
            foreach (var t in policy.Targets)
            {
                json.WriteStartObject();
                json.WriteNumber("target", t.TargetItem);
                json.WriteStartArray("checkpoints");
                foreach (var c in t.Checkpoints)
                {
                    // Doubles are written shortest round-trip, so they read back bit for bit.
                    json.WriteStartArray();
                    json.WriteNumberValue(c.Rounds);
                    json.WriteNumberValue(c.HitRate);
                    json.WriteNumberValue(c.IncreaseOfInterest);
                    json.WriteNumberValue(c.IncreaseOfRanking);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The shard files (<c>shard-*-of-*.json</c>) in <paramref name="folders"/>, sorted by name.</summary>
    /// <param name="folders">Folders (shard output folders, or one folder holding every shard's file).</param>
    /// <returns>The paths.</returns>
    /// <exception cref="DirectoryNotFoundException">A folder does not exist.</exception>
    public static IReadOnlyList<string> Find(IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var files = new List<string>();
        foreach (string folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
            }

            files.AddRange(Directory.EnumerateFiles(folder, "shard-*-of-*.json"));
        }

        return [.. files.OrderBy(Path.GetFileName, StringComparer.Ordinal).ThenBy(f => f, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Merges a complete set of shard files into results.json's content: checks that they are shards 1..n of one
    /// experiment (same config apart from timings and machine, same policies), puts every policy's targets back in
    /// the experiment's order, and summarises them as the single run does.
    /// </summary>
    /// <param name="shardFiles">Every shard's file, in any order.</param>
    /// <param name="destination">Where results.json is written.</param>
    /// <returns>The merged policies (for tables and plots) and the rounds of the run.</returns>
    /// <exception cref="InvalidDataException">A file is not a shard file, or the set is incomplete, has a duplicate, or mixes experiments; the message says which.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static MergedReproduction Merge(IReadOnlyList<string> shardFiles, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(shardFiles);
        ArgumentNullException.ThrowIfNull(destination);
        if (shardFiles.Count == 0)
        {
            throw new InvalidDataException("No shard files (shard-*-of-*.json) to merge.");
        }

        var shards = shardFiles.Select(ReadShard).OrderBy(s => s.Index).ToList();
        var first = shards[0];
        int count = first.Count;
        var seen = new Dictionary<int, string>();
        foreach (var s in shards)
        {
            if (s.Count != count)
            {
                throw new InvalidDataException($"'{s.Path}' is a shard of {s.Count}, '{first.Path}' of {count}: they belong to different splits.");
            }

            if (!seen.TryAdd(s.Index, s.Path))
            {
                throw new InvalidDataException($"Shard {s.Index}/{count} appears twice: '{seen[s.Index]}' and '{s.Path}'.");
            }

            string? difference = ConfigDifference(first.Config, s.Config);
            if (difference is not null)
            {
                throw new InvalidDataException($"'{s.Path}' and '{first.Path}' are not shards of the same experiment: config '{difference}' differs.");
            }

            if (!s.Policies.Select(p => p.Name).SequenceEqual(first.Policies.Select(p => p.Name)))
            {
                throw new InvalidDataException($"'{s.Path}' ran the policies [{string.Join(", ", s.Policies.Select(p => p.Name))}], '{first.Path}' [{string.Join(", ", first.Policies.Select(p => p.Name))}].");
            }
        }

        var missing = Enumerable.Range(1, count).Where(i => !seen.ContainsKey(i)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"The set is incomplete: shard(s) {string.Join(", ", missing.Select(i => $"{i}/{count}"))} missing (found {shards.Count} of {count}).");
        }

        int[] targetIds = [.. first.Config.GetProperty("target_ids").EnumerateArray().Select(e => e.GetInt32())];
        var order = shards.SelectMany(s => s.TargetIndices).ToList();
        if (!order.SequenceEqual(Enumerable.Range(0, targetIds.Length)))
        {
            throw new InvalidDataException($"The shards' targets do not cover the experiment's {targetIds.Length} targets exactly once.");
        }

        var policies = new List<GuidanceResult>(first.Policies.Count);
        for (int p = 0; p < first.Policies.Count; p++)
        {
            var targets = shards.SelectMany(s => s.Policies[p].Targets).ToList();
            if (!targets.Select(t => t.TargetItem).SequenceEqual(targetIds))
            {
                throw new InvalidDataException($"Policy '{first.Policies[p].Name}': the shards' per-target results do not match the experiment's targets.");
            }

            var elapsed = TimeSpan.FromTicks(shards.Sum(s => s.Policies[p].Elapsed.Ticks));
            var summary = MetricsSummary.Summarize(targets, first.ConfidenceLevel);
            policies.Add(new GuidanceResult(first.Policies[p].Name, targets, summary, elapsed, first.Policies[p].Guidance));
        }

        double elapsedSeconds = shards.Sum(s => s.Config.GetProperty("elapsed_seconds").GetDouble());
        ReproductionReport.WriteJson(destination, json =>
        {
            foreach (var property in first.Config.EnumerateObject())
            {
                if (property.NameEquals("elapsed_seconds"))
                {
                    json.WriteNumber("elapsed_seconds", Math.Round(elapsedSeconds, 3));
                }
                else
                {
                    property.WriteTo(json);
                }
            }

            json.WriteNumber("shards", count);
        }, policies);
        return new MergedReproduction(policies, first.Config.GetProperty("rounds").GetInt32(), count);
    }

    /// <summary>The first config entry (other than those <c>Ignored</c> names) in which two shards differ, or null.</summary>
    private static string? ConfigDifference(JsonElement a, JsonElement b)
    {
        // Compared as JSON values (layout-insensitive), not as text.
        var left = a.EnumerateObject().Where(p => !Ignored(p.Name)).ToDictionary(p => p.Name, p => JsonNode.Parse(p.Value.GetRawText()));
        var right = b.EnumerateObject().Where(p => !Ignored(p.Name)).ToDictionary(p => p.Name, p => JsonNode.Parse(p.Value.GetRawText()));
        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other) || !JsonNode.DeepEquals(other, value))
            {
                return key;
            }
        }

        return right.Keys.FirstOrDefault(k => !left.ContainsKey(k));

        // What may differ between the machines of one split without changing a metric: the timing, the machine, how many
        // runs the encoder ran at once, and the command line (each shard's own --out).
        static bool Ignored(string name) => name is "elapsed_seconds" or "machine" or "encoder_parallel_runs" or "command";
    }

    private static ShardFile ReadShard(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                throw new InvalidDataException($"'{path}' is not a shard file (format '{Format}').");
            }

            int index = root.GetProperty("shard").GetInt32();
            int count = root.GetProperty("shards").GetInt32();
            if (count < 1 || index < 1 || index > count)
            {
                throw new InvalidDataException($"'{path}' names shard {index}/{count}.");
            }

            var policies = root.GetProperty("policies").EnumerateArray().Select(ReadPolicy).ToList();
            return new ShardFile(
                path,
                index,
                count,
                root.GetProperty("confidence_level").GetDouble(),
                [.. root.GetProperty("target_indices").EnumerateArray().Select(e => e.GetInt32())],
                root.GetProperty("config").Clone(),
                policies);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not a readable shard file: {e.Message}", e);
        }
    }

    private static ShardPolicy ReadPolicy(JsonElement policy)
    {
        PolicyGuidance? guidance = null;
        var g = policy.GetProperty("guidance");
        if (g.ValueKind != JsonValueKind.Null)
        {
            guidance = new PolicyGuidance(
                g.GetProperty("model").GetString()!,
                Enum.Parse<NegativeGuidancePolicy>(g.GetProperty("negative_guidance").GetString()!),
                g.GetProperty("strength").GetSingle());
        }

        var targets = policy.GetProperty("targets").EnumerateArray().Select(t => new TargetMetrics(
            t.GetProperty("target").GetInt32(),
            [.. t.GetProperty("checkpoints").EnumerateArray().Select(c =>
            {
                var v = c.EnumerateArray().ToArray();
                return new CheckpointMetrics(v[0].GetInt32(), v[1].GetDouble(), v[2].GetDouble(), v[3].GetDouble());
            })])).ToList();
        return new ShardPolicy(policy.GetProperty("name").GetString()!, guidance, TimeSpan.FromTicks(policy.GetProperty("elapsed_ticks").GetInt64()), targets);
    }

    private sealed record ShardFile(string Path, int Index, int Count, double ConfidenceLevel, int[] TargetIndices, JsonElement Config, List<ShardPolicy> Policies);

    private sealed record ShardPolicy(string Name, PolicyGuidance? Guidance, TimeSpan Elapsed, List<TargetMetrics> Targets);
}

/// <summary>What <see cref="ReproductionShards.Merge"/> combined.</summary>
/// <param name="Policies">Every policy's merged result, in run order.</param>
/// <param name="Rounds">The run's rounds.</param>
/// <param name="Shards">How many shards were merged.</param>
public sealed record MergedReproduction(IReadOnlyList<GuidanceResult> Policies, int Rounds, int Shards);
