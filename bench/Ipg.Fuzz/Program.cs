using Ipg.Encoders;
using Ipg.Tests.Shared;
using SharpFuzz;

// Coverage-guided fuzzing of the hand-written ONNX protobuf reader (bench/Ipg.Fuzz/run.sh, docs/reliability.md
// "Hostile files"). AFL++ feeds each input on stdin; an exception outside the documented ones (InvalidDataException,
// NotSupportedException) escapes and AFL++ records the input as a crash. `dotnet Ipg.Fuzz.dll --replay FILE...` runs
// saved inputs without AFL++ and prints what each one does.
if (args.Length > 0 && args[0] == "--replay")
{
    var metadata = Metadata(args.Length > 1 && args[1] == "--metadata" ? args[2] : null);
    var crashes = 0;
    foreach (var file in args.Skip(metadata.FromFile ? 3 : 1))
    {
        try
        {
            ManagedModelRead.Run(File.ReadAllBytes(file), metadata.Value);
            Console.WriteLine($"{file}: read");
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception e)
        {
            Console.WriteLine($"{file}: CRASH {e}");
            crashes++;
        }
    }

    return crashes == 0 ? 0 : 1;
}

var fixedMetadata = Metadata(Environment.GetEnvironmentVariable("IPG_FUZZ_METADATA_MODEL")).Value;
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    try
    {
        ManagedModelRead.Run(buffer.ToArray(), fixedMetadata);
    }
    catch (Exception e) when (e is InvalidDataException or NotSupportedException)
    {
        // Documented refusals.
    }
});
return 0;

// The contract metadata the graph reader checks against: that of a real model (the fuzzer mutates the graph, not this).
static (OnnxSasRecEncoderMetadata Value, bool FromFile) Metadata(string? model)
{
    if (model is not null)
    {
        return (ManagedModelRead.MetadataOf(model), true);
    }

    using var encoder = SasRecDefaultModel.Load();
    return (encoder.Metadata, false);
}
