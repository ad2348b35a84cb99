using System.Text.Json;

namespace Ipg.Tests.Encoders;

/// <summary>Golden fixtures (format <c>ipg-sasrec-fixtures/1</c>, docs/onnx-contract.md) and where the test models are.</summary>
internal static class OnnxFixtures
{
    public const string Format = "ipg-sasrec-fixtures/1";

    /// <summary>The environment variable naming a folder with <c>pmixer-ml1m.onnx</c> and its fixtures (built out of the repository, never committed).</summary>
    public const string ExternalVariable = "IPG_EXTERNAL_FIXTURES";

    public const string ExternalModel = "pmixer-ml1m.onnx";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Broken(string name) => Path.Combine(Folder, "broken", name + ".onnx");

    /// <summary>The committed models that have golden fixtures: the tiny ones, and the default model when src/Ipg.Onnx/Models has it.</summary>
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (string name in new[] { "sasrec-tiny.onnx", "sasrec-tiny-v2.onnx" })
        {
            data.Add(Path.Combine("Fixtures", name));
        }

        string defaults = Path.Combine(Folder, "default");
        if (Directory.Exists(defaults))
        {
            foreach (string model in Directory.GetFiles(defaults, "*.onnx").Order(StringComparer.Ordinal))
            {
                if (File.Exists(FixturesPath(model)))
                {
                    data.Add(Path.GetRelativePath(AppContext.BaseDirectory, model));
                }
            }
        }

        return data;
    }

    /// <summary>
    /// The bring-your-own-model exports (Fixtures/byom: pmixer revisions, RecBole, gSASRec, GRU4Rec, an own module), each
    /// with fixtures whose expected values are the source model's own forward (tools/export/ipg_export.py).
    /// </summary>
    public static TheoryData<string> ByomModels()
    {
        var data = new TheoryData<string>();
        string folder = Path.Combine(Folder, "byom");
        foreach (string model in Directory.GetFiles(folder, "*.onnx").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(model));
        }

        return data;
    }

    public static string FullPath(string relativeModelPath) => Path.Combine(AppContext.BaseDirectory, relativeModelPath);

    public static string FixturesPath(string modelPath) => Path.ChangeExtension(modelPath, null) + ".fixtures.json";

    public static SasRecFixtures Read(string modelPath)
    {
        string path = FixturesPath(modelPath);
        var fixtures = JsonSerializer.Deserialize<SasRecFixtures>(File.ReadAllText(path), s_json)
            ?? throw new InvalidDataException($"{path} is empty.");
        if (fixtures.Format != Format)
        {
            throw new InvalidDataException($"{path} has format '{fixtures.Format}', expected '{Format}'.");
        }

        return fixtures;
    }

    /// <summary>The external folder when <see cref="ExternalVariable"/> names one holding the model and its fixtures, else null.</summary>
    public static string? ExternalFolder()
    {
        string? folder = Environment.GetEnvironmentVariable(ExternalVariable);
        return !string.IsNullOrWhiteSpace(folder)
            && File.Exists(Path.Combine(folder, ExternalModel))
            && File.Exists(FixturesPath(Path.Combine(folder, ExternalModel)))
            ? folder
            : null;
    }
}

internal sealed record SasRecFixtures(
    string Format,
    string Model,
    string ModelSha256,
    string Layout,
    string PositionConvention,
    int MaxLength,
    int HiddenSize,
    int ItemCount,
    string TrainingLogSha256,
    FixtureTolerance Tolerance,
    FixtureCase[] Cases,
    Dictionary<string, float[]> ItemEmbeddingRows,
    string? Acceptance = null,
    Dictionary<string, float>? ItemBiasRows = null);

internal sealed record FixtureTolerance(double UserEmbeddingAbs, double LogitAbs);

internal sealed record FixtureCase(string Name, int[] History, long[] InputIds, float[] UserEmbedding, int[] Top10, Dictionary<string, float> Logits)
{
    public override string ToString() => Name;
}
