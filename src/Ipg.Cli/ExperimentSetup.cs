using System.CommandLine;
using System.Globalization;
using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using Ipg.Simulation.Worlds;

namespace Ipg.Cli;

/// <summary>
/// The options and the preparation shared by the experiment commands (<c>reproduce</c>, <c>sweep</c>):
/// regenerate the seeded world (or load a real-data world, <c>--world</c>), load the model, check that the model was
/// trained on that world's log, and build the guidance experiment.
/// </summary>
internal sealed class ExperimentSetup
{
    private readonly Option<bool> _full = new("--full") { Description = "The paper's scale: all 6,034 users, 50 targets, 20 rounds (long: see README)." };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed of the simulator and the log collection (the default model was trained on seed 2024's log).", DefaultValueFactory = _ => 2024 };
    private readonly Option<int?> _users = new("--users") { Description = "Users taking part in guidance (the first N of the world)." };
    private readonly Option<int?> _targets = new("--targets") { Description = "Random target items." };
    private readonly Option<long> _targetSeed = new("--target-seed") { Description = "Seed of the target draw and of the random policy.", DefaultValueFactory = _ => 2024 };
    private readonly Option<int> _rounds = new("--rounds") { Description = "Guidance rounds per target.", DefaultValueFactory = _ => 20 };
    private readonly Option<FileInfo?> _model = new("--model") { Description = "An ONNX encoder (docs/onnx-contract.md: a SASRec, or any model exported by tools/export, docs/bring-your-own-model.md) instead of the embedded default." };
    private readonly Option<int> _threads = new("--threads") { Description = "Encoder runs in parallel (each with one ONNX Runtime thread); default: the core count.", DefaultValueFactory = _ => Environment.ProcessorCount };
    private readonly Option<SasRecKernel> _kernel = new("--kernel") { Description = "Encoder forward pass: Auto (default: the managed kernel where it recognises the model and reproduces ONNX Runtime at load, else ONNX Runtime), Managed (the managed kernel or refuse) or OnnxRuntime (any model that follows the contract).", DefaultValueFactory = _ => SasRecKernel.Auto };
    private readonly Option<bool> _force = new("--force") { Description = "Run even when the model was trained on a different log than the one regenerated." };
    private readonly Option<DirectoryInfo?> _world = new("--world") { Description = "A real-data world (the folder `ipg world build` wrote) instead of the paper's simulator; needs --model, a SASRec trained on the world's train split (docs/real-data.md)." };
    private readonly Option<FileInfo?> _fit = new("--fit") { Description = "A look-ahead fit of the model (`ipg fit` writes it): adds the fitted mode's rows (docs/guidance.md)." };
    private readonly Option<string?> _planned = new("--planned")
    {
        Description = "Also run planned guidance (docs/guidance.md) at \"H,B,M\": horizon H (1–4), beam B, shortlist M, e.g. 2,4,10; with --fit it plans with the fit's calibrated p̂.",
    };

    private readonly int _defaultUsers;
    private readonly int _defaultTargets;

    public ExperimentSetup(string output, int defaultUsers, int defaultTargets)
    {
        Output = new Option<DirectoryInfo>("--out") { Description = "Folder for the results and plots.", DefaultValueFactory = _ => new DirectoryInfo(output) };
        _defaultUsers = defaultUsers;
        _defaultTargets = defaultTargets;
        _users.Description += $" Default {defaultUsers}, or all with --full.";
        _targets.Description += $" Default {defaultTargets}, or 50 with --full.";
    }

    public Option<DirectoryInfo> Output { get; }

    /// <summary>The <c>--planned</c> setting (checked by <see cref="Prepare"/>), or null when not given.</summary>
    public PlannedSetting? Planned(ParseResult parseResult) =>
        PlannedSetting.TryParse(parseResult.GetValue(_planned), out var setting, out _) ? setting : null;

    public IEnumerable<Option> Options => [_full, _seed, _users, _targets, _targetSeed, _rounds, Output, _model, _kernel, _threads, _force, _world, _fit, _planned];

    /// <summary>The options that choose the world and the model, without <c>--out</c>, <c>--fit</c> and <c>--planned</c> (for <c>ipg fit</c>, which writes a fit file).</summary>
    public IEnumerable<Option> SourceOptions => Options.Where(o => o != _fit && o != _planned && o != Output);

    /// <summary>A prepared experiment; dispose it to release the model.</summary>
    internal sealed class Prepared(ReproductionOptions options, CollectedWorld world, OnnxSasRecEncoder encoder, string modelDescription, GuidanceExperiment experiment, int threads, (string Path, string Hash)? realWorld = null, LookAheadFit? fit = null, string? fitPath = null) : IDisposable
    {
        /// <summary>The look-ahead fit given with <c>--fit</c>, checked against the model; null without.</summary>
        public LookAheadFit? Fit { get; } = fit;

        public ReproductionOptions Options { get; } = options;

        public CollectedWorld World { get; } = world;

        public OnnxSasRecEncoder Encoder { get; } = encoder;

        public string ModelDescription { get; } = modelDescription;

        public GuidanceExperiment Experiment { get; } = experiment;

        public Dictionary<string, string> Describe() => new()
        {
            ["world"] = realWorld is { } w ? w.Path : "paper simulator (regenerated)",
            ["world_hash"] = realWorld is { } h ? h.Hash : "",
            ["model"] = ModelDescription,
            ["model_layout"] = Encoder.Metadata.Layout,
            ["model_acceptance"] = Encoder.Metadata.Acceptance == AcceptanceFunction.Softmax ? "softmax" : "sigmoid",
            ["model_training_log_sha256"] = Encoder.Metadata.TrainingLogSha256,
            ["model_producer"] = Encoder.Metadata.Producer,
            ["encoder_kernel"] = Encoder.Kernel.ToString(),
            ["encoder_kernel_choice"] = Encoder.KernelChoice,
            ["encoder_parallel_runs"] = threads.ToString(CultureInfo.InvariantCulture),
            ["look_ahead_fit"] = fitPath ?? "",
            ["command"] = "ipg " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        };

        public void Dispose() => Encoder.Dispose();
    }

    /// <summary>Prepares the experiment, or prints why not and returns the exit code.</summary>
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="command">The command's name, for messages.</param>
    /// <param name="cancellationToken">Cancels the log collection.</param>
    /// <param name="keepImpressions">Keep the regenerated log's impressions (<c>ipg fit</c> calibrates p̂ on them).</param>
    public (Prepared? Prepared, int ExitCode) Prepare(ParseResult parseResult, string command, CancellationToken cancellationToken, bool keepImpressions = false)
    {
        var baseline = parseResult.GetValue(_full) ? ReproductionOptions.Paper : ReproductionOptions.Default with { Users = _defaultUsers, Targets = _defaultTargets };
        baseline = baseline with { Collection = baseline.Collection with { KeepImpressions = keepImpressions } };
        long worldSeed = parseResult.GetValue(_seed);
        var options = baseline with
        {
            Simulator = baseline.Simulator with { Seed = worldSeed },
            Collection = baseline.Collection with { Seed = worldSeed },
            Users = parseResult.GetValue(_users) ?? baseline.Users,
            Targets = parseResult.GetValue(_targets) ?? baseline.Targets,
            TargetSeed = parseResult.GetValue(_targetSeed),
            Rounds = parseResult.GetValue(_rounds),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"ipg {command}: {e.Message}");
            return (null, 2);
        }

        if (parseResult.GetValue(_planned) is { } planned && !PlannedSetting.TryParse(planned, out _, out var plannedError))
        {
            Console.Error.WriteLine($"ipg {command}: {plannedError}");
            return (null, 2);
        }

        int threads = parseResult.GetValue(_threads);
        if (threads < 1)
        {
            Console.Error.WriteLine($"ipg {command}: --threads must be at least 1, got {threads}.");
            return (null, 2);
        }

        CollectedWorld world;
        (string Path, string Hash)? realWorld = null;
        if (parseResult.GetValue(_world) is { } worldDir)
        {
            if (parseResult.GetValue(_model) is null)
            {
                Console.Error.WriteLine($"ipg {command}: --world needs --model, a SASRec trained on that world's train split (the embedded default was trained on the paper simulator's log); see docs/real-data.md.");
                return (null, 2);
            }

            string file = File.Exists(worldDir.FullName) ? worldDir.FullName : Path.Combine(worldDir.FullName, "world.bin");
            var loaded = InputFiles.Read("--world", file, RealDataWorld.Load);

            try
            {
                options = WorldSimulation.Options(loaded, options);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"ipg {command}: {e.Message}");
                return (null, 2);
            }

            world = WorldSimulation.ToCollectedWorld(loaded);
            realWorld = (file, loaded.ComputeHash());
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Real-data world {file}: {loaded.UserCount} users × {loaded.ItemCount} items, d {loaded.Dimension}, {loaded.TopicCount} topics; train split {world.Collection.Clicks} interactions, sha256 {world.LogSha256[..16]}…"));
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Collecting the training log: {options.Simulator.Users} users × {options.Simulator.Items} items, {options.Collection.Rounds} rounds, seed {options.Simulator.Seed} …"));
            world = PaperReproduction.CollectWorld(options, cancellationToken: cancellationToken);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {world.Collection.Clicks} clicks (click rate {world.Collection.ClickRate:F3}), log sha256 {world.LogSha256[..16]}…"));
        }

        var (encoder, description) = ModelLoader.Load(parseResult.GetValue(_model), threads, parseResult.GetValue(_kernel));

        string trainedOn = encoder.Metadata.TrainingLogSha256;
        if (!string.Equals(trainedOn, world.LogSha256, StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine(realWorld is null
                ? $"ipg {command}: the model ({description}) was trained on a log with sha256 '{trainedOn}', but seed {options.Simulator.Seed} regenerates '{world.LogSha256}'."
                : $"ipg {command}: the model ({description}) was trained on a log with sha256 '{trainedOn}', but the world's train split (ipg world train-log) has '{world.LogSha256}'.");
            Console.Error.WriteLine("  " + ModelLoader.RetrainHint);
            if (!parseResult.GetValue(_force))
            {
                encoder.Dispose();
                return (null, ExitCodes.ModelMismatch);
            }
        }

        if (encoder.ItemCount != world.EndState.ItemCount)
        {
            Console.Error.WriteLine($"ipg {command}: the model knows {encoder.ItemCount} items, the world has {world.EndState.ItemCount}.");
            encoder.Dispose();
            return (null, 4);
        }

        LookAheadFit? fit = null;
        string? fitPath = parseResult.GetValue(_fit)?.FullName;
        if (fitPath is not null)
        {
            try
            {
                fit = LookAheadFit.Load(fitPath, encoder);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                encoder.Dispose();
                throw CliException.InputFile($"--fit: cannot use the look-ahead fit {fitPath}: {e.Message}", e);
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Look-ahead fit {fitPath}: a {fit.A:F3}, b {fit.B:F3}, acceptance {(fit.Acceptance?.ToString() ?? "the model's own")}"));
        }

        var experiment = PaperReproduction.CreateExperiment(world, encoder, options);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Guidance: {experiment.Runner.UserCount} users, targets [{string.Join(", ", experiment.Targets)}], {options.Rounds} rounds; model {description}"));
        return (new Prepared(options, world, encoder, description, experiment, threads, realWorld, fit, fitPath), 0);
    }
}
