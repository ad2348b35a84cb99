using System.Buffers.Binary;
using Google.Protobuf;
using Ipg.Encoders.Managed;
using Ipg.Tests.Shared.OnnxSchema;

namespace Ipg.Tests.Shared;

/// <summary>
/// The managed kernel's model reading done with a maintained parser: Google.Protobuf and the ONNX schema
/// (<c>OnnxSchema/onnx.proto</c>, generated into <c>Onnx.g.cs</c>). The tests hold the hand-written
/// <see cref="OnnxProtoReader"/> to it (same graph, same tensors, same external-data findings); the benchmarks measure
/// the two side by side (bench/Ipg.Benchmarks ModelReadBenchmarks), which is why the product keeps its own reader:
/// see docs/reliability.md, "The model reader".
/// </summary>
internal static class OnnxSchemaReader
{
    /// <summary>Nesting allowed to the parser: enough for <see cref="OnnxProtoReader.MaxScanDepth"/> levels of subgraphs (three messages each) and the messages around them.</summary>
    public const int RecursionLimit = (3 * (OnnxProtoReader.MaxScanDepth + 2)) + 16;

    /// <summary>Parses a serialised <c>ModelProto</c>; throws <see cref="InvalidProtocolBufferException"/> on bytes that are not one.</summary>
    public static ModelProto Parse(byte[] model)
    {
        var input = CodedInputStream.CreateWithLimits(new MemoryStream(model, writable: false), model.Length + 1, RecursionLimit);
        var parsed = new ModelProto();
        parsed.MergeFrom(input);
        return parsed;
    }

    /// <summary>What <see cref="OnnxProtoReader.ReadModel"/> returns, built from the parsed schema objects.</summary>
    public static OnnxModelProto ReadModel(byte[] model) => ToModel(Parse(model));

    /// <summary>The graph of a parsed model in the managed kernel's shape (the same rules as <see cref="OnnxProtoReader"/>).</summary>
    public static OnnxModelProto ToModel(ModelProto model)
    {
        if (model.Graph is not { } graph)
        {
            throw new InvalidDataException("The ONNX model has no graph.");
        }

        var nodes = graph.Node.Select(ToNode).ToList();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            var t = ToTensor(tensor);
            initializers[t.Name] = t;
        }

        foreach (var node in nodes)
        {
            if (node.OpType == "Constant" && node.Domain.Length == 0 && node.Outputs.Length == 1
                && node.Attributes.TryGetValue("value", out var value) && value.Tensor is { } t)
            {
                initializers[node.Outputs[0]] = new OnnxTensor(node.Outputs[0], t.Dims, t.DataType, t.Floats, t.Longs);
            }
        }

        return new OnnxModelProto(nodes, initializers, [.. graph.Input.Select(i => i.Name)], [.. graph.Output.Select(o => o.Name)]);
    }

    /// <summary>The first tensor anywhere in the model that keeps its data outside the file, described as <see cref="OnnxProtoReader.FindExternalData"/> does; null when none.</summary>
    public static string? FindExternalData(ModelProto model)
    {
        return Graph(model.Graph, 0)
            ?? model.TrainingInfo.Select(t => Graph(t.Initialization, 1) ?? Graph(t.Algorithm, 1)).FirstOrDefault(f => f is not null)
            ?? model.Functions.SelectMany(f => f.Node).Select(n => Node(n, 1)).FirstOrDefault(f => f is not null);

        static string? Graph(GraphProto? graph, int depth)
        {
            if (graph is null)
            {
                return null;
            }

            if (depth > OnnxProtoReader.MaxScanDepth)
            {
                return $"subgraphs nested deeper than {OnnxProtoReader.MaxScanDepth} levels (not searched for external data)";
            }

            return graph.Node.Select(n => Node(n, depth)).FirstOrDefault(f => f is not null)
                ?? graph.Initializer.Select(Tensor).FirstOrDefault(f => f is not null)
                ?? graph.SparseInitializer.Select(Sparse).FirstOrDefault(f => f is not null);
        }

        static string? Node(NodeProto node, int depth)
        {
            if (depth > OnnxProtoReader.MaxScanDepth)
            {
                return $"subgraphs nested deeper than {OnnxProtoReader.MaxScanDepth} levels (not searched for external data)";
            }

            foreach (var a in node.Attribute)
            {
                var found = (a.T is null ? null : Tensor(a.T))
                    ?? a.Tensors.Select(Tensor).FirstOrDefault(f => f is not null)
                    ?? (a.SparseTensor is null ? null : Sparse(a.SparseTensor))
                    ?? a.SparseTensors.Select(Sparse).FirstOrDefault(f => f is not null)
                    ?? Graph(a.G, depth + 1)
                    ?? a.Graphs.Select(g => Graph(g, depth + 1)).FirstOrDefault(f => f is not null);
                if (found is not null)
                {
                    return found;
                }
            }

            return null;
        }

        static string? Sparse(SparseTensorProto sparse) =>
            (sparse.Values is null ? null : Tensor(sparse.Values)) ?? (sparse.Indices is null ? null : Tensor(sparse.Indices));

        static string? Tensor(TensorProto tensor)
        {
            bool external = tensor.ExternalData.Count > 0 || tensor.DataLocation == TensorProto.Types.DataLocation.External;
            if (!external)
            {
                return null;
            }

            // The last "location" entry, as the hand-written scan reads them in order.
            var location = tensor.ExternalData.LastOrDefault(e => e.Key == "location")?.Value;
            return $"tensor '{tensor.Name}' keeps its data in the external file '{location ?? "(no location)"}'";
        }
    }

    private static OnnxNode ToNode(NodeProto node)
    {
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        foreach (var a in node.Attribute)
        {
            attributes[a.Name] = new OnnxAttribute(a.HasF ? a.F : null, a.HasI ? a.I : null, a.T is null ? null : ToTensor(a.T), [.. a.Ints]);
        }

        return new OnnxNode(node.OpType, node.Domain == "ai.onnx" ? "" : node.Domain, [.. node.Input], [.. node.Output], attributes);
    }

    private static OnnxTensor ToTensor(TensorProto tensor)
    {
        string name = tensor.Name;
        if (tensor.ExternalData.Count > 0 || tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new NotSupportedException($"Tensor '{name}' keeps its data in an external file; the managed SASRec kernel reads embedded data only.");
        }

        long[] shape = [.. tensor.Dims];
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (d > 0 && count > Array.MaxLength / d))
            {
                throw new InvalidDataException($"Tensor '{name}' has an invalid shape [{string.Join(", ", shape)}].");
            }

            count *= d;
        }

        float[]? floats = null;
        long[]? longs = null;
        var raw = tensor.RawData.Span;
        if (tensor.DataType == OnnxTensor.Float)
        {
            if (tensor.HasRawData && raw.Length != count * 4)
            {
                throw new InvalidDataException($"Tensor '{name}' has {raw.Length} bytes of float32 data for {count} values.");
            }

            floats = tensor.HasRawData ? [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw)] : [.. tensor.FloatData];
            if (floats.Length != count)
            {
                throw new InvalidDataException($"Tensor '{name}' has {floats.Length} float32 values for its shape [{string.Join(", ", shape)}].");
            }
        }
        else if (tensor.DataType == OnnxTensor.Int64)
        {
            if (tensor.HasRawData && raw.Length != count * 8)
            {
                throw new InvalidDataException($"Tensor '{name}' has {raw.Length} bytes of int64 data for {count} values.");
            }

            if (tensor.HasRawData)
            {
                longs = new long[raw.Length / 8];
                for (int k = 0; k < longs.Length; k++)
                {
                    longs[k] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * k)..]);
                }
            }
            else
            {
                longs = [.. tensor.Int64Data];
            }

            if (longs.Length != count)
            {
                throw new InvalidDataException($"Tensor '{name}' has {longs.Length} int64 values for its shape [{string.Join(", ", shape)}].");
            }
        }

        return new OnnxTensor(name, shape, tensor.DataType, floats, longs);
    }
}
