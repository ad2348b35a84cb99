// The paper's experiment through the library API (not the CLI), for tuning jobs that embed the simulator:
// collect the seeded log, load the default SASRec, compare IPG settings against the base recommender.
// Run: dotnet run --project samples/Reproduction -c Release
using Ipg;
using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Policies;
using Ipg.Simulation.Reproduction;

var options = ReproductionOptions.Default with { Users = 200, Targets = 3 };   // the paper's world, a small guidance run
var world = PaperReproduction.CollectWorld(options);
Console.WriteLine($"Log: {world.Collection.Clicks} clicks, sha256 {world.LogSha256[..12]}…");

using var encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { BatchParallelism = Environment.ProcessorCount });
if (encoder.Metadata.TrainingLogSha256 != world.LogSha256)
{
    Console.Error.WriteLine("The embedded model was trained on another log; retrain it (tools/sasrec/README.md).");
    return 1;
}

var experiment = PaperReproduction.CreateExperiment(world, encoder, options);

// Your candidates: here the published IPG, the library's default (cosine form, λ = 0.35), and the cosine form at full
// strength (the authors' code), against greedy SASRec.
IRecommendationPolicy[] policies =
[
    new GreedyPolicy(),
    new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper), "IPG (paper)"),
    new IpgPolicy(new IpgReranker(encoder, IpgOptions.Default), "IPG (default)"),
    new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper with { Guidance = CosineGuidance.Instance }), "IPG (cosine)"),
];

var result = PaperReproduction.Run(world, experiment, policies, options);
Console.WriteLine($"{"policy",-14} {"HR@20",6} {"IoI@20",7}  95% CI of IoI@20");
foreach (var policy in result.Policies)
{
    var at20 = ReproductionReport.At(policy, 20)!;
    Console.WriteLine($"{policy.PolicyName,-14} {at20.HitRate.Mean,6:F3} {at20.IncreaseOfInterest.Mean,7:F3}  [{at20.IncreaseOfInterest.Lower:F3}, {at20.IncreaseOfInterest.Upper:F3}]");
}

ReproductionReport.WriteJsonAtomically("reproduction-results.json", result);
return 0;
