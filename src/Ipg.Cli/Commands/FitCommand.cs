using System.CommandLine;
using System.Globalization;
using Ipg.Simulation;
using Ipg.Simulation.Analysis;
using Ipg.Simulation.Reproduction;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg fit</c>: fits the model's look-ahead (the affine move, and on the paper world the acceptance calibration
/// from the regenerated log's impressions) on a fit set of users, validates it on held-out users and writes the
/// fit file the re-ranker loads (<c>--fit</c> on <c>reproduce</c> and <c>sweep</c>; <c>LookAheadFit.Load</c>).
/// </summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var setup = new ExperimentSetup("fit", ReproductionOptions.Default.Users!.Value, ReproductionOptions.Default.Targets);
        var output = new Option<FileInfo>("--out") { Description = "The fit file to write.", DefaultValueFactory = _ => new FileInfo("look-ahead-fit.json") };
        var users = new Option<int>("--fit-users") { Description = "Users sampled for the fit (20 % of them held out).", DefaultValueFactory = _ => new LookAheadFitOptions().Users };
        var candidates = new Option<int>("--fit-candidates") { Description = "Candidate moves per history (the top-C unseen items by the logit).", DefaultValueFactory = _ => new LookAheadFitOptions().Candidates };
        var impressions = new Option<int>("--fit-impressions") { Description = "Impressions sampled for the acceptance calibration (paper world only: a real-data world has no impression log).", DefaultValueFactory = _ => new LookAheadFitOptions().Impressions };
        var sampleSeed = new Option<int>("--fit-seed") { Description = "Seed of the user split and the samples.", DefaultValueFactory = _ => new LookAheadFitOptions().Seed };
        var transfer = new Option<FileInfo[]>("--transfer")
        {
            Description = "Fit files made for other worlds or models: also report how their fitted move does on this world's held-out users (out-of-world validation).",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("fit", "Fit the model's look-ahead (affine move; calibrated p̂ where the log has impressions), validated on held-out users, into a file the re-ranker loads (docs/guidance.md).")
        {
            output, users, candidates, impressions, sampleSeed, transfer,
        };
        foreach (var option in setup.SourceOptions)
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, cancellationToken) =>
        {
            var fitOptions = new LookAheadFitOptions
            {
                Users = parseResult.GetValue(users),
                Candidates = parseResult.GetValue(candidates),
                Impressions = parseResult.GetValue(impressions),
                Seed = parseResult.GetValue(sampleSeed),
            };
            return Task.FromResult(Run(setup, parseResult, parseResult.GetValue(output)!, fitOptions, parseResult.GetValue(transfer) ?? [], cancellationToken));
        });
        return command;
    }

    private static int Run(ExperimentSetup setup, ParseResult parseResult, FileInfo output, LookAheadFitOptions fitOptions, FileInfo[] transfer, CancellationToken cancellationToken)
    {
        try
        {
            fitOptions.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            Console.Error.WriteLine($"ipg fit: {e.Message}");
            return 2;
        }

        var others = new List<(string Path, Ipg.Guidance.LookAheadFit Fit)>();
        foreach (var file in transfer)
        {
            // Read only: a fit for another model is the point here, so it is not bound to this one.
            others.Add((file.FullName, InputFiles.Read("--transfer", file.FullName, Ipg.Guidance.LookAheadFit.Load)));
        }

        var (prepared, exitCode) = setup.Prepare(parseResult, "fit", cancellationToken, keepImpressions: true);
        if (prepared is null)
        {
            return exitCode;
        }

        using (prepared)
        {
            var world = prepared.World;
            var sequences = InteractionLogFormat.ToSequences(world.Collection.Interactions, world.EndState.UserCount);
            var log = world.Collection.Impressions;
            if (log is null)
            {
                Console.Error.WriteLine("  This world's log has no impressions (clicks only): the fit has the move, and p̂ stays the model's own.");
            }

            var producer = string.Create(CultureInfo.InvariantCulture, $"ipg {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}; log sha256 {world.LogSha256}; model {prepared.ModelDescription}");
            Ipg.Guidance.LookAheadFit fit;
            try
            {
                fit = LookAheadFitter.Fit(prepared.Encoder, sequences, log, fitOptions, producer, cancellationToken);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"ipg fit: {e.Message}");
                return 2;
            }

            try
            {
                output.Directory?.Create();
                fit.Save(output.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.OutputNotWritten($"--out: cannot write \"{output.FullName}\": {e.Message}", e);
            }

            var v = fit.Validation;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Move: ENC(s ⊕ i) ≈ {fit.A:F4}·ENC(s) + {fit.B:F4}·ê_i, fitted on {v.FitUsers} users ({v.FitPairs} moves)."));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  relative residual: in sample {v.ResidualInSample:F3}, held out ({v.HeldOutUsers} users, {v.HeldOutPairs} moves) {v.ResidualHeldOut:F3}; the paper's linear move (γ 0.8) held out {v.ResidualHeldOutLinear:F3}."));
            if (fit.Acceptance is { } acceptance)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Acceptance: p̂ = {acceptance}, fitted on {v.FitImpressions} impressions; held-out log-loss {v.LogLossHeldOut:F4} (the model's own p̂: {v.LogLossHeldOutUncalibrated:F4}) on {v.HeldOutImpressions}."));
            }

            if (others.Count > 0)
            {
                // The same held-out moves as the fit's own residual (same split, same draws).
                var residuals = LookAheadFitter.EvaluateMoves(prepared.Encoder, sequences, others.Select(o => (o.Fit.A, o.Fit.B)).ToList(), fitOptions, cancellationToken);
                for (int k = 0; k < others.Count; k++)
                {
                    var other = others[k].Fit;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Transferred: the move of {others[k].Path} (a {other.A:F4}, b {other.B:F4}) on this world's held-out users: residual {residuals[k]:F3} (this world's own fit {v.ResidualHeldOut:F3}, the paper's γ 0.8 {v.ResidualHeldOutLinear:F3})."));
                }
            }

            Console.WriteLine($"Wrote {output.FullName}");
            return 0;
        }
    }
}
