using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Ipg.Encoders;
using Ipg.Encoders.Managed;
using Ipg.Tests.Shared;
using Ipg.Tests.Shared.OnnxSchema;

namespace Ipg.Benchmarks;

/// <summary>
/// Reading an ONNX model into the managed kernel's graph: the hand-written reader (<see cref="OnnxProtoReader"/>,
/// what the product uses) against Google.Protobuf with the ONNX schema (<see cref="OnnxSchemaReader"/>, the tests'
/// reference). <see cref="Items"/> = 0 is the default model (3,416 items, d = 48, 953 KB); larger values replace its
/// item table with Items × 48 random floats, the size of a real catalogue. Allocation is what matters at scale: the
/// schema parser copies every tensor's bytes into a ByteString before they become floats.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class ModelReadBenchmarks
{
    private byte[] _model = null!;

    /// <summary>Catalogue size of the item table (0: the default model as shipped).</summary>
    [Params(0, 100_000, 1_000_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var stream = typeof(SasRecDefaultModel).Assembly.GetManifestResourceStream("Ipg.Models.sasrec-default.onnx")!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        _model = buffer.ToArray();
        if (Items > 0)
        {
            var model = OnnxSchemaReader.Parse(_model);
            var table = model.Graph.Initializer.OrderByDescending(t => t.RawData.Length).First();
            var d = (int)table.Dims[^1];
            var values = new float[(Items + 1) * d];
            var random = new Random(7);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() - 0.5);
            }

            table.Dims.Clear();
            table.Dims.Add(Items + 1);
            table.Dims.Add(d);
            table.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            _model = model.ToByteArray();
        }
    }

    [Benchmark(Baseline = true)]
    public int HandWritten() => OnnxProtoReader.ReadModel(_model).Initializers.Count;

    [Benchmark]
    public int GoogleProtobuf() => OnnxSchemaReader.ReadModel(_model).Initializers.Count;
}
