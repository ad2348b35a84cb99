using System.Globalization;
using System.Text.Json;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Reproduction;

/// <summary>
/// Writes a <see cref="ReproductionResult"/> as <c>results.json</c> (format documented in
/// <c>docs/results-format.md</c>), atomically: a reader never sees a half-written file.
/// </summary>
public static class ReproductionReport
{
    /// <summary>The checkpoints reported in the flat keys (<c>HR@5</c> … <c>IoR@20</c>), as in the paper's tables.</summary>
    public static IReadOnlyList<int> TableCheckpoints { get; } = [5, 10, 15, 20];

    /// <summary>
    /// The checkpoints reported for a run of <paramref name="rounds"/> rounds: <see cref="TableCheckpoints"/> up to
    /// <paramref name="rounds"/>, and <paramref name="rounds"/> itself when the run is shorter than the last of them
    /// (a 3-round run reports K = 3; a 12-round run K = 5, 10 and 12).
    /// </summary>
    /// <param name="rounds">The rounds the run made (≥ 1).</param>
    /// <returns>The checkpoints, increasing.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rounds"/> is below 1.</exception>
    public static IReadOnlyList<int> TableCheckpointsFor(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var ks = TableCheckpoints.Where(k => k <= rounds).ToList();
        if (rounds < TableCheckpoints[^1] && (ks.Count == 0 || ks[^1] != rounds))
        {
            ks.Add(rounds);
        }

        return ks;
    }

    /// <summary>The checkpoints of <see cref="TableCheckpointsFor(int)"/> for a policy's result (its last recorded round).</summary>
    /// <param name="result">A policy's result.</param>
    /// <returns>The checkpoints; empty when nothing was recorded.</returns>
    public static IReadOnlyList<int> TableCheckpointsFor(GuidanceResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Summary.Count == 0 ? [] : TableCheckpointsFor(result.Summary[^1].Rounds);
    }

    /// <summary>The 95 % interval as text: "[lo, hi]", or "n/a" when it is undefined (one target).</summary>
    /// <param name="estimate">The estimate.</param>
    /// <returns>The text.</returns>
    public static string FormatInterval(MetricEstimate estimate) =>
        double.IsFinite(estimate.HalfWidth) ? $"[{Format(estimate.Lower)}, {Format(estimate.Upper)}]" : "n/a";

    /// <summary>Writes the JSON document to <paramref name="destination"/>.</summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="result">The results.</param>
    /// <param name="extraConfig">More configuration entries to record (e.g. the model file and its metadata).</param>
    public static void WriteJson(Stream destination, ReproductionResult result, IReadOnlyDictionary<string, string>? extraConfig = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(result);
        WriteJson(destination, json => WriteConfig(json, result.Options, result.World, result.TargetItemIds, result.Elapsed, extraConfig), result.Policies);
    }

    /// <summary>The document with its config written by <paramref name="writeConfig"/> (a run's, or the shards' for <c>ipg merge</c>).</summary>
    internal static void WriteJson(Stream destination, Action<Utf8JsonWriter> writeConfig, IReadOnlyList<GuidanceResult> policies)
    {
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", "ipg-reproduction/1");

        json.WriteStartObject("config");
        writeConfig(json);
        json.WriteEndObject();

        json.WriteStartArray("policies");
        foreach (var policy in policies)
        {
            WritePolicy(json, policy);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The config entries of a run; <paramref name="targetIds"/> is the whole experiment's target list (a shard runs part of it).</summary>
    internal static void WriteConfig(Utf8JsonWriter json, ReproductionOptions o, CollectedWorld world, IReadOnlyList<int> targetIds, TimeSpan elapsed, IReadOnlyDictionary<string, string>? extraConfig)
    {
        json.WriteNumber("seed", o.Simulator.Seed);
        json.WriteNumber("world_users", o.Simulator.Users);
        json.WriteNumber("users", o.Users ?? o.Simulator.Users);
        json.WriteNumber("items", o.Simulator.Items);
        json.WriteNumber("targets", o.Targets);
        json.WriteNumber("target_seed", o.TargetSeed);
        json.WriteNumber("rounds", o.Rounds);
        json.WriteNumber("offset", o.Simulator.Offset);
        json.WriteNumber("collection_rounds", o.Collection.Rounds);
        json.WriteNumber("log_clicks", world.Collection.Clicks);
        json.WriteNumber("log_click_rate", world.Collection.ClickRate);
        json.WriteString("log_sha256", world.LogSha256);
        json.WriteStartArray("target_ids");
        foreach (int t in targetIds)
        {
            json.WriteNumberValue(t);
        }

        json.WriteEndArray();
        json.WriteNumber("elapsed_seconds", Math.Round(elapsed.TotalSeconds, 3));
        json.WriteString("machine", $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        if (extraConfig is not null)
        {
            foreach (var (key, value) in extraConfig)
            {
                json.WriteString(key, value);
            }
        }
    }

    /// <summary>Writes the JSON document to <paramref name="path"/> through a temporary file and an atomic rename.</summary>
    /// <param name="path">The destination file; its folder must exist.</param>
    /// <param name="result">The results.</param>
    /// <param name="extraConfig">More configuration entries to record.</param>
    /// <exception cref="IOException">The file cannot be written; no partial file is left at <paramref name="path"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void WriteJsonAtomically(string path, ReproductionResult result, IReadOnlyDictionary<string, string>? extraConfig = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream => WriteJson(stream, result, extraConfig));
    }

    /// <summary>Formats a metric for tables: 3 decimals, invariant culture.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>The summary at <paramref name="rounds"/> rounds, or null when not recorded.</summary>
    /// <param name="result">A policy's result.</param>
    /// <param name="rounds">The checkpoint K.</param>
    /// <returns>The summary.</returns>
    public static CheckpointSummary? At(GuidanceResult result, int rounds)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var s in result.Summary)
        {
            if (s.Rounds == rounds)
            {
                return s;
            }
        }

        return null;
    }

    private static void WritePolicy(Utf8JsonWriter json, GuidanceResult policy)
    {
        json.WriteStartObject();
        json.WriteString("name", policy.PolicyName);
        if (policy.Guidance is { } guidance)
        {
            // Which guidance model, target kind and strength the row used (the guidance runner's targets are single items).
            json.WriteString("guidance", guidance.Model);
            json.WriteString("negative_guidance", guidance.NegativeGuidance.ToString());
            json.WriteNumber("strength", guidance.Strength);
            json.WriteString("target_kind", "item");
        }
        else
        {
            json.WriteNull("guidance");
        }
        var checkpoints = TableCheckpointsFor(policy);
        foreach (var (metric, pick) in Metrics())
        {
            foreach (int k in checkpoints)
            {
                if (At(policy, k) is { } s)
                {
                    json.WriteNumber($"{metric}@{k}", Round(pick(s).Mean));
                }
            }
        }

        foreach (var (metric, pick) in Metrics())
        {
            foreach (int k in checkpoints)
            {
                if (At(policy, k) is { } s)
                {
                    var e = pick(s);
                    if (!double.IsFinite(e.HalfWidth))
                    {
                        // One target: no interval across targets (not [mean, mean], and not [0, 0]).
                        json.WriteNull($"{metric}@{k}_ci95");
                        continue;
                    }

                    json.WriteStartArray($"{metric}@{k}_ci95");
                    json.WriteNumberValue(Round(e.Lower));
                    json.WriteNumberValue(Round(e.Upper));
                    json.WriteEndArray();
                }
            }
        }

        json.WriteNumber("elapsed_seconds", Math.Round(policy.Elapsed.TotalSeconds, 3));

        json.WriteStartObject("per_round");
        json.WriteStartArray("rounds");
        foreach (var s in policy.Summary)
        {
            json.WriteNumberValue(s.Rounds);
        }

        json.WriteEndArray();
        foreach (var (metric, pick) in Metrics())
        {
            json.WriteStartArray(metric);
            foreach (var s in policy.Summary)
            {
                json.WriteNumberValue(Round(pick(s).Mean));
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();

        json.WriteStartArray("targets");
        foreach (var t in policy.Targets)
        {
            var last = t.Checkpoints[^1];
            json.WriteStartObject();
            json.WriteNumber("target", t.TargetItem);
            json.WriteNumber("rounds", last.Rounds);
            json.WriteNumber("HR", Round(last.HitRate));
            json.WriteNumber("IoI", Round(last.IncreaseOfInterest));
            json.WriteNumber("IoR", Round(last.IncreaseOfRanking));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static (string Name, Func<CheckpointSummary, MetricEstimate> Pick)[] Metrics() =>
    [
        ("HR", s => s.HitRate),
        ("IoI", s => s.IncreaseOfInterest),
        ("IoR", s => s.IncreaseOfRanking),
    ];

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 6) : 0;
}
