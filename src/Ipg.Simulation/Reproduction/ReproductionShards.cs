using System.Diagnostics;
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
/// <see cref="Count"/> runs a contiguous block of the experiment's targets, or of one or two targets' users when there
/// are more shards than targets (<see cref="Units"/>). A target's run depends only on the target, and a user's only on the
/// user, so the pieces add up exactly to the single run's metrics.
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
    /// The work this shard runs: contiguous, balanced pieces of the experiment's (target, user) pairs taken target by
    /// target. With no more shards than targets, whole targets: a block of them, the first <c>targets mod n</c> blocks one
    /// target longer. With more shards than targets, user ranges: the pairs split into <paramref name="targetCount"/> ×
    /// <paramref name="userCount"/> / n (rounded) consecutive pairs, so a shard holds part of one target's users, or the
    /// end of one target's and the start of the next's. Together the shards cover every pair exactly once.
    /// </summary>
    /// <param name="targetCount">The experiment's number of targets (≥ 1).</param>
    /// <param name="userCount">The experiment's number of users (≥ 1).</param>
    /// <returns>The units, in target order then user order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or there are more shards than (target, user) pairs.</exception>
    public IReadOnlyList<ShardUnit> Units(int targetCount, int userCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(userCount, 1);
        long pairs = (long)targetCount * userCount;
        if (Count > pairs)
        {
            throw new ArgumentOutOfRangeException(nameof(userCount), userCount, $"{Count} shards for {targetCount} target(s) × {userCount} user(s); use at most {pairs}.");
        }

        int i = Index - 1;
        if (Count <= targetCount)
        {
            int size = targetCount / Count;
            int extra = targetCount % Count;
            int first = (i * size) + Math.Min(i, extra);
            int length = size + (i < extra ? 1 : 0);
            return [.. Enumerable.Range(first, length).Select(t => new ShardUnit(t, 0, userCount))];
        }

        // Pairs [start, end) in target-major order; Count > targetCount makes every piece shorter than one target's users.
        long start = pairs * i / Count;
        long end = pairs * (i + 1) / Count;
        var units = new List<ShardUnit>(2);
        while (start < end)
        {
            int target = (int)(start / userCount);
            int user = (int)(start % userCount);
            int take = (int)Math.Min(userCount - user, end - start);
            units.Add(new ShardUnit(target, user, take));
            start += take;
        }

        return units;
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
    /// Runs shard <paramref name="shard"/> of the experiment: every policy, one after the other, on each of the shard's
    /// <see cref="ReproductionShard.Units"/> (a target and a range of its users). Exact for any split given an encoder
    /// whose output for a user does not depend on the other users in its batch (the managed kernel and
    /// <see cref="Ipg.Encoders.InMemoryEncoder"/> by construction; ONNX Runtime is checked by the tests); policies key their
    /// per-user choices on the population index (<see cref="PolicyContext.FirstUser"/>).
    /// </summary>
    /// <param name="world">The collected world.</param>
    /// <param name="experiment">The whole experiment (every target and user; the shard runs its part).</param>
    /// <param name="policies">The policies.</param>
    /// <param name="options">The options the experiment was built with (recorded in the file).</param>
    /// <param name="shard">The shard.</param>
    /// <param name="progress">Receives a report after every round; optional. Its target index counts the shard's units.</param>
    /// <param name="cancellationToken">Cancels between rounds.</param>
    /// <returns>The shard's partial results, for <see cref="Write"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">There are more shards than (target, user) pairs.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static ReproductionShardResult Run(CollectedWorld world, GuidanceExperiment experiment, IReadOnlyList<IRecommendationPolicy> policies, ReproductionOptions options, ReproductionShard shard, IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shard);
        var units = shard.Units(experiment.Targets.Count, experiment.Runner.UserCount);
        var watch = Stopwatch.StartNew();
        var runs = new List<ShardPolicyRun>(policies.Count);
        for (int p = 0; p < policies.Count; p++)
        {
            var policy = policies[p];
            int index = p;
            var inner = progress is null ? null : new PaperReproduction.ForwardingProgress(g => progress.Report(new ReproductionProgress(index, policies.Count, policy.Name, g)));
            var policyWatch = Stopwatch.StartNew();
            var sums = new List<IReadOnlyList<CheckpointSums>>(units.Count);
            for (int u = 0; u < units.Count; u++)
            {
                var unit = units[u];
                sums.Add(experiment.Runner.RunTargetRange(policy, experiment.Targets[unit.TargetIndex], unit.FirstUser, unit.Users, u, units.Count, inner, cancellationToken).Sums);
            }

            runs.Add(new ShardPolicyRun(policy.Name, policy.Guidance, policyWatch.Elapsed, sums));
        }

        return new ReproductionShardResult(shard, options, world, experiment.Targets, units, runs, watch.Elapsed);
    }

    /// <summary>
    /// Writes a shard's results: the run's config (with the whole experiment's targets), the units it ran, and for every
    /// policy and unit the exact sums behind each checkpoint (<see cref="Merge"/> adds them up).
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="result">The shard's run.</param>
    /// <param name="confidenceLevel">The interval level the merged summary uses.</param>
    /// <param name="extraConfig">More configuration entries to record, as for results.json.</param>
    public static void Write(Stream destination, ReproductionShardResult result, double confidenceLevel = 0.95, IReadOnlyDictionary<string, string>? extraConfig = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("shard", result.Shard.Index);
        json.WriteNumber("shards", result.Shard.Count);
        json.WriteNumber("confidence_level", confidenceLevel);
        json.WriteStartArray("units");
        foreach (var unit in result.Units)
        {
            // [target index, first user, users]
            json.WriteStartArray();
            json.WriteNumberValue(unit.TargetIndex);
            json.WriteNumberValue(unit.FirstUser);
            json.WriteNumberValue(unit.Users);
            json.WriteEndArray();
        }

        json.WriteEndArray();
        json.WriteStartObject("config");
        ReproductionReport.WriteConfig(json, result.Options, result.World, result.TargetItemIds, result.Elapsed, extraConfig);
        json.WriteEndObject();
        json.WriteStartArray("policies");
        foreach (var policy in result.Policies)
        {
            json.WriteStartObject();
            json.WriteString("name", policy.Name);
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
            json.WriteStartArray("units");
            for (int u = 0; u < result.Units.Count; u++)
            {
                json.WriteStartObject();
                json.WriteNumber("target", result.TargetItemIds[result.Units[u].TargetIndex]);
                json.WriteStartArray("checkpoints");
                foreach (var c in policy.Units[u])
                {
                    // [K, users, users shown anything, Σ HR, Σ IoI, Σ IoR]: the sums as 128-bit integers at 2^-64 (text, exact).
                    json.WriteStartArray();
                    json.WriteNumberValue(c.Rounds);
                    json.WriteNumberValue(c.Users);
                    json.WriteNumberValue(c.HitUsers);
                    json.WriteStringValue(c.HitRate.ToString());
                    json.WriteStringValue(c.Interest.ToString());
                    json.WriteStringValue(c.Ranking.ToString());
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

        int[] targetIds;
        int users;
        try
        {
            targetIds = [.. first.Config.GetProperty("target_ids").EnumerateArray().Select(e => e.GetInt32())];
            users = first.Config.GetProperty("users").GetInt32();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{first.Path}': the config has no readable target_ids and users: {e.Message}", e);
        }

        if (targetIds.Length < 1 || users < 1 || count > (long)targetIds.Length * users)
        {
            throw new InvalidDataException($"'{first.Path}': {count} shards of {targetIds.Length} target(s) × {users} user(s) is not a split.");
        }

        // Every shard must hold exactly the units the split gives it; the split covers each (target, user) once.
        foreach (var s in shards)
        {
            var expected = new ReproductionShard(s.Index, count).Units(targetIds.Length, users);
            if (!s.Units.SequenceEqual(expected))
            {
                throw new InvalidDataException($"'{s.Path}' ran {Describe(s.Units)}, but shard {s.Index}/{count} of {targetIds.Length} target(s) × {users} user(s) is {Describe(expected)}.");
            }
        }

        var policies = new List<GuidanceResult>(first.Policies.Count);
        for (int p = 0; p < first.Policies.Count; p++)
        {
            var totals = new CheckpointSums[targetIds.Length][];
            foreach (var s in shards)
            {
                for (int u = 0; u < s.Units.Length; u++)
                {
                    var unit = s.Units[u];
                    var (target, sums) = s.Policies[p].Units[u];
                    if (target != targetIds[unit.TargetIndex] || sums.Any(c => c.Users != unit.Users))
                    {
                        throw new InvalidDataException($"'{s.Path}', policy '{first.Policies[p].Name}': unit {u + 1} is not target {targetIds[unit.TargetIndex]}'s users {unit.FirstUser}..{unit.FirstUser + unit.Users - 1}.");
                    }

                    ref var total = ref totals[unit.TargetIndex];
                    if (total is null)
                    {
                        total = sums;
                        continue;
                    }

                    if (!total.Select(c => c.Rounds).SequenceEqual(sums.Select(c => c.Rounds)))
                    {
                        throw new InvalidDataException($"'{s.Path}', policy '{first.Policies[p].Name}': target {target}'s checkpoints differ between its user ranges.");
                    }

                    total = [.. total.Zip(sums, (x, y) => x + y)];
                }
            }

            var targets = targetIds.Select((id, t) => new TargetMetrics(id, [.. totals[t].Select(c => c.ToMetrics())])).ToList();
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

            ShardUnit[] units = [.. root.GetProperty("units").EnumerateArray().Select(e =>
            {
                var v = e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
                return v.Length == 3 ? new ShardUnit(v[0], v[1], v[2]) : throw new FormatException("A unit is [target index, first user, users].");
            })];
            var policies = root.GetProperty("policies").EnumerateArray().Select(ReadPolicy).ToList();
            if (policies.Any(p => p.Units.Count != units.Length))
            {
                throw new FormatException($"Every policy must have one result per unit ({units.Length}).");
            }

            return new ShardFile(
                path,
                index,
                count,
                root.GetProperty("confidence_level").GetDouble(),
                units,
                root.GetProperty("config").Clone(),
                policies);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
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

        var units = policy.GetProperty("units").EnumerateArray().Select(t => (
            t.GetProperty("target").GetInt32(),
            (CheckpointSums[])[.. t.GetProperty("checkpoints").EnumerateArray().Select(c =>
            {
                var v = c.EnumerateArray().ToArray();
                if (v.Length != 6)
                {
                    throw new FormatException("A checkpoint is [K, users, hit users, Σ HR, Σ IoI, Σ IoR].");
                }

                return new CheckpointSums(
                    v[0].GetInt32(), v[1].GetInt32(), v[2].GetInt32(),
                    ExactSum.Parse(v[3].GetString()!), ExactSum.Parse(v[4].GetString()!), ExactSum.Parse(v[5].GetString()!));
            })])).ToList();
        return new ShardPolicy(policy.GetProperty("name").GetString()!, guidance, TimeSpan.FromTicks(policy.GetProperty("elapsed_ticks").GetInt64()), units);
    }

    private static string Describe(IEnumerable<ShardUnit> units) => string.Join(" + ", units);

    private sealed record ShardFile(string Path, int Index, int Count, double ConfidenceLevel, ShardUnit[] Units, JsonElement Config, List<ShardPolicy> Policies);

    private sealed record ShardPolicy(string Name, PolicyGuidance? Guidance, TimeSpan Elapsed, List<(int Target, CheckpointSums[] Sums)> Units);
}

/// <summary>A shard's partial results (<see cref="ReproductionShards.Run"/>), for <see cref="ReproductionShards.Write"/>.</summary>
public sealed class ReproductionShardResult
{
    internal ReproductionShardResult(ReproductionShard shard, ReproductionOptions options, CollectedWorld world, IReadOnlyList<int> targetItemIds, IReadOnlyList<ShardUnit> units, IReadOnlyList<ShardPolicyRun> policies, TimeSpan elapsed)
    {
        Shard = shard;
        Options = options;
        World = world;
        TargetItemIds = targetItemIds;
        Units = units;
        Policies = policies;
        Elapsed = elapsed;
    }

    /// <summary>The shard.</summary>
    public ReproductionShard Shard { get; }

    /// <summary>What was run.</summary>
    public ReproductionOptions Options { get; }

    /// <summary>The collected world.</summary>
    public CollectedWorld World { get; }

    /// <summary>The whole experiment's targets (the units index them).</summary>
    public IReadOnlyList<int> TargetItemIds { get; }

    /// <summary>The pieces this shard ran.</summary>
    public IReadOnlyList<ShardUnit> Units { get; }

    /// <summary>The policies run, in order.</summary>
    public IReadOnlyList<string> PolicyNames => [.. Policies.Select(p => p.Name)];

    /// <summary>Wall time of the shard's guidance phase.</summary>
    public TimeSpan Elapsed { get; }

    internal IReadOnlyList<ShardPolicyRun> Policies { get; }
}

/// <summary>One policy's run over a shard's units: per unit, the sums behind each checkpoint.</summary>
internal sealed record ShardPolicyRun(string Name, PolicyGuidance? Guidance, TimeSpan Elapsed, IReadOnlyList<IReadOnlyList<CheckpointSums>> Units);

/// <summary>A piece of a sharded reproduction: one target and a contiguous range of its users.</summary>
/// <param name="TargetIndex">The target, 0-based into the experiment's target list.</param>
/// <param name="FirstUser">The range's first user, 0-based.</param>
/// <param name="Users">The range's length (≥ 1).</param>
public readonly record struct ShardUnit(int TargetIndex, int FirstUser, int Users)
{
    /// <summary>The piece as a person reads it: <c>target #2 users 100..199</c> (1-based target, 0-based users).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"target #{TargetIndex + 1} users {FirstUser}..{FirstUser + Users - 1}");
}

/// <summary>What <see cref="ReproductionShards.Merge"/> combined.</summary>
/// <param name="Policies">Every policy's merged result, in run order.</param>
/// <param name="Rounds">The run's rounds.</param>
/// <param name="Shards">How many shards were merged.</param>
public sealed record MergedReproduction(IReadOnlyList<GuidanceResult> Policies, int Rounds, int Shards);
