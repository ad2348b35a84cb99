using System.Diagnostics;
using System.Security.Cryptography;
using Ipg.Guidance;
using Ipg.Policies;
using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Reproduction;

/// <summary>
/// The paper's experiment through the library API (spec §3–4): collect the log, build the guidance
/// experiment over any encoder, run IPG and the baselines, write the results. The <c>ipg reproduce</c>
/// command is a thin front end over this class.
/// </summary>
public static class PaperReproduction
{
    /// <summary>Collects the training log on the seeded simulator (deterministic: same options, same log, same hash).</summary>
    /// <param name="options">The experiment's options.</param>
    /// <param name="progress">Receives the collection round; optional.</param>
    /// <param name="cancellationToken">Cancels between rounds.</param>
    /// <returns>The end state, the log and its SHA-256.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static CollectedWorld CollectWorld(ReproductionOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var simulator = new TopicSimulator(options.Simulator);
        var result = new LogCollector(options.Collection).Collect(simulator, progress, cancellationToken);
        return new CollectedWorld(simulator, result, ComputeLogSha256(result.Interactions));
    }

    /// <summary>SHA-256 (lowercase hex) of the bytes <see cref="InteractionLogFormat.Write(Stream, IEnumerable{Interaction})"/> writes for <paramref name="interactions"/>.</summary>
    /// <param name="interactions">The log.</param>
    /// <returns>The hash.</returns>
    public static string ComputeLogSha256(IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        using var buffer = new MemoryStream();
        InteractionLogFormat.Write(buffer, interactions);
        buffer.Position = 0;
        return Convert.ToHexString(SHA256.HashData(buffer)).ToLowerInvariant();
    }

    /// <summary>
    /// The policies of the paper's comparison, in table order: IPG (the paper's equation: Increase form,
    /// raw product), IPG-Cosine (what the authors' code runs: cosine form, raw product), SASRec (greedy),
    /// TargetSimilarity (α = 10), Rec2Inf (top-50), Random, Oracle.
    /// </summary>
    /// <param name="encoder">The encoder IPG re-ranks over.</param>
    /// <param name="seed">Seed of the random policy.</param>
    /// <param name="ipgOptions">IPG's options; <see cref="IpgOptions.Paper"/> when null.</param>
    /// <returns>The policies.</returns>
    public static IReadOnlyList<IRecommendationPolicy> StandardPolicies(ISequentialEncoder encoder, int seed, IpgOptions? ipgOptions = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return
        [
            new IpgPolicy(new IpgReranker(encoder, ipgOptions ?? IpgOptions.Paper)),
            new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper with { Guidance = CosineGuidance.Instance }), "IPG-Cosine"),
            new GreedyPolicy(),
            new TargetSimilarityPolicy(10f),
            new Rec2InfPolicy(50),
            new RandomPolicy(seed),
            new OraclePolicy(),
        ];
    }

    /// <summary>
    /// Builds the guidance experiment: the first <see cref="ReproductionOptions.Users"/> users of the
    /// collected world, their logged clicks as initial sequences, and <see cref="ReproductionOptions.Targets"/>
    /// targets drawn with <see cref="ReproductionOptions.TargetSeed"/>.
    /// </summary>
    /// <param name="world">The collected world.</param>
    /// <param name="encoder">The encoder (its item count must equal the world's).</param>
    /// <param name="options">The experiment's options.</param>
    /// <returns>The experiment.</returns>
    /// <exception cref="ArgumentException">The options are invalid or the encoder does not fit the world.</exception>
    public static GuidanceExperiment CreateExperiment(CollectedWorld world, ISequentialEncoder encoder, ReproductionOptions options)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int users = options.Users ?? world.EndState.UserCount;
        var start = world.EndState.TakeUsers(users);
        var log = world.Collection.Interactions.Where(i => i.User < users).ToList();
        var targets = GuidanceExperiment.SampleTargets(world.EndState.ItemCount, options.Targets, options.TargetSeed);
        return GuidanceExperiment.FromLog(start, log, encoder, targets, options.ToGuidanceOptions());
    }

    /// <summary>Runs every policy on the experiment, one after the other.</summary>
    /// <param name="world">The collected world.</param>
    /// <param name="experiment">The experiment from <see cref="CreateExperiment"/>.</param>
    /// <param name="policies">The policies (e.g. <see cref="StandardPolicies"/>).</param>
    /// <param name="options">The options the experiment was built with (recorded in the result).</param>
    /// <param name="progress">Receives a report after every round; optional.</param>
    /// <param name="cancellationToken">Cancels between rounds.</param>
    /// <returns>All results.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static ReproductionResult Run(CollectedWorld world, GuidanceExperiment experiment, IReadOnlyList<IRecommendationPolicy> policies, ReproductionOptions options, IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var results = new List<GuidanceResult>(policies.Count);
        for (int p = 0; p < policies.Count; p++)
        {
            var policy = policies[p];
            int index = p;
            var inner = progress is null ? null : new ForwardingProgress(g => progress.Report(new ReproductionProgress(index, policies.Count, policy.Name, g)));
            results.Add(experiment.Run(policy, inner, cancellationToken));
        }

        return new ReproductionResult(options, world, experiment.Targets, results, watch.Elapsed);
    }

    /// <summary>Reports synchronously on the caller's thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    internal sealed class ForwardingProgress(Action<GuidanceProgress> report) : IProgress<GuidanceProgress>
    {
        public void Report(GuidanceProgress value) => report(value);
    }
}
