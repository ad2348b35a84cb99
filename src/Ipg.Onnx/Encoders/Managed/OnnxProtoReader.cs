using System.Buffers.Binary;
using System.Text;

namespace Ipg.Encoders.Managed;

/// <summary>One ONNX tensor (an initializer or a <c>Constant</c> node's value): dims and float32/int64 data.</summary>
internal sealed class OnnxTensor(string name, long[] dims, int dataType, float[]? floats, long[]? longs)
{
    public const int Float = 1;
    public const int Int64 = 7;

    public string Name { get; } = name;

    public long[] Dims { get; } = dims;

    public int DataType { get; } = dataType;

    /// <summary>The values when <see cref="DataType"/> is float32, else null.</summary>
    public float[]? Floats { get; } = floats;

    /// <summary>The values when <see cref="DataType"/> is int64, else null.</summary>
    public long[]? Longs { get; } = longs;

    public bool HasShape(params long[] dims) => Dims.AsSpan().SequenceEqual(dims);

    /// <summary>The single value of a float scalar (or one-element) tensor, else null.</summary>
    public float? Scalar => Floats is { Length: 1 } f ? f[0] : null;
}

/// <summary>One ONNX node: op type, input and output names, and the attributes the kernel reads (floats, ints, tensors).</summary>
internal sealed class OnnxNode(string opType, string domain, string[] inputs, string[] outputs, Dictionary<string, OnnxAttribute> attributes)
{
    public string OpType { get; } = opType;

    public string Domain { get; } = domain;

    public string[] Inputs { get; } = inputs;

    public string[] Outputs { get; } = outputs;

    public Dictionary<string, OnnxAttribute> Attributes { get; } = attributes;

    public override string ToString() => $"{OpType}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}";
}

/// <summary>An attribute value: float, int, tensor or int list (the kinds the kernel reads; others are kept empty).</summary>
internal sealed record OnnxAttribute(float? Float, long? Int, OnnxTensor? Tensor, long[] Ints);

/// <summary>The parts of an ONNX <c>ModelProto</c> the managed SASRec kernel reads.</summary>
internal sealed class OnnxModelProto(List<OnnxNode> nodes, Dictionary<string, OnnxTensor> initializers, List<string> inputs, List<string> outputs)
{
    /// <summary>The graph's nodes in file (topological) order.</summary>
    public List<OnnxNode> Nodes { get; } = nodes;

    /// <summary>Initializers and <c>Constant</c> node values, by tensor name.</summary>
    public Dictionary<string, OnnxTensor> Initializers { get; } = initializers;

    public List<string> Inputs { get; } = inputs;

    public List<string> Outputs { get; } = outputs;
}

/// <summary>
/// A minimal reader of the protobuf wire format for the ONNX messages the managed kernel needs:
/// <c>ModelProto.graph</c>, <c>GraphProto</c> (node, initializer, input, output), <c>NodeProto</c>,
/// <c>AttributeProto</c> and <c>TensorProto</c> (dims, data_type, float_data, int64_data, raw_data).
/// Field numbers are those of <c>onnx.proto</c>. Every other field is skipped. External tensor data is
/// refused. Kept rather than Google.Protobuf because it reads 2–3× faster with a third of the allocation
/// (bench/Ipg.Benchmarks/ModelReadBenchmarks.md); the tests hold it to Google.Protobuf and the ONNX schema
/// (OnnxProtoReaderParityTests).
/// </summary>
internal static class OnnxProtoReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireBytes = 2;
    private const int WireFixed32 = 5;

    public static OnnxModelProto ReadModel(ReadOnlySpan<byte> model)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new NotSupportedException("The managed SASRec kernel reads ONNX tensor data on little-endian machines only.");
        }

        ReadOnlySpan<byte> graph = default;
        bool found = false;
        var reader = new WireReader(model);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 7 && wire == WireBytes)
            {
                graph = reader.Bytes();
                found = true;
            }
            else
            {
                reader.Skip(wire);
            }
        }

        if (!found)
        {
            throw new InvalidDataException("The ONNX model has no graph.");
        }

        return ReadGraph(graph);
    }

    /// <summary>Subgraph nesting beyond which <see cref="FindExternalData"/> stops looking and refuses the model.</summary>
    internal const int MaxScanDepth = 32;

    /// <summary>
    /// Whether any tensor of the model keeps its data in an external file (<c>data_location = EXTERNAL</c> or
    /// <c>external_data</c> entries): a description of the first one ("tensor 'x' keeps its data in the external file
    /// 'y'"), or null when none does. Looks at the graph's initializers and sparse initializers, at every tensor
    /// attribute of every node, into subgraphs (<c>If</c>, <c>Loop</c>, <c>Scan</c> bodies), functions and training
    /// graphs. Subgraphs nested deeper than <see cref="MaxScanDepth"/> are reported too (they are not searched). Bytes
    /// that are not valid protobuf give null: ONNX Runtime then reports them as it does any corrupt model.
    /// </summary>
    /// <param name="model">The serialised <c>ModelProto</c>.</param>
    public static string? FindExternalData(ReadOnlySpan<byte> model)
    {
        try
        {
            var reader = new WireReader(model);
            while (reader.Next(out int field, out int wire))
            {
                string? found = (field, wire) switch
                {
                    (7, WireBytes) => ScanGraph(reader.Bytes(), 0),
                    (20, WireBytes) => ScanMessages(reader.Bytes(), 0, static (f, m, d) => f is 1 or 2 ? ScanGraph(m, d + 1) : null),
                    (25, WireBytes) => ScanMessages(reader.Bytes(), 0, static (f, m, d) => f == 7 ? ScanNode(m, d + 1) : null),
                    _ => Skipped(ref reader, wire),
                };
                if (found is not null)
                {
                    return found;
                }
            }

            return null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private delegate string? FieldScanner(int field, ReadOnlySpan<byte> message, int depth);

    private static string? Skipped(ref WireReader reader, int wire)
    {
        reader.Skip(wire);
        return null;
    }

    /// <summary>Calls <paramref name="scan"/> on every length-delimited field of <paramref name="message"/>; the first non-null result.</summary>
    private static string? ScanMessages(ReadOnlySpan<byte> message, int depth, FieldScanner scan)
    {
        if (depth > MaxScanDepth)
        {
            return $"subgraphs nested deeper than {MaxScanDepth} levels (not searched for external data)";
        }

        var reader = new WireReader(message);
        while (reader.Next(out int field, out int wire))
        {
            if (wire != WireBytes)
            {
                reader.Skip(wire);
                continue;
            }

            if (scan(field, reader.Bytes(), depth) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    // GraphProto: node 1, initializer 5, sparse_initializer 15.
    private static string? ScanGraph(ReadOnlySpan<byte> graph, int depth) => ScanMessages(graph, depth, static (f, m, d) => f switch
    {
        1 => ScanNode(m, d),
        5 => ScanTensor(m),
        15 => ScanSparseTensor(m),
        _ => null,
    });

    // NodeProto: attribute 5. AttributeProto: t 5, g 6, tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23.
    private static string? ScanNode(ReadOnlySpan<byte> node, int depth) => ScanMessages(node, depth, static (f, m, d) => f == 5
        ? ScanMessages(m, d, static (af, am, ad) => af switch
        {
            5 or 10 => ScanTensor(am),
            6 or 11 => ScanGraph(am, ad + 1),
            22 or 23 => ScanSparseTensor(am),
            _ => null,
        })
        : null);

    // SparseTensorProto: values 1, indices 2.
    private static string? ScanSparseTensor(ReadOnlySpan<byte> sparse) => ScanMessages(sparse, 0, static (f, m, _) => f is 1 or 2 ? ScanTensor(m) : null);

    // TensorProto: name 8, external_data 13 (StringStringEntryProto: key 1, value 2), data_location 14 (1 = EXTERNAL).
    private static string? ScanTensor(ReadOnlySpan<byte> tensor)
    {
        string name = "";
        string? location = null;
        bool external = false;
        var reader = new WireReader(tensor);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 8 when wire == WireBytes:
                    name = reader.LenientString();
                    break;
                case 13 when wire == WireBytes:
                    external = true;
                    var entry = new WireReader(reader.Bytes());
                    string key = "", value = "";
                    while (entry.Next(out int f, out int w))
                    {
                        if (f is 1 or 2 && w == WireBytes)
                        {
                            (f == 1 ? ref key : ref value) = entry.LenientString();
                        }
                        else
                        {
                            entry.Skip(w);
                        }
                    }

                    if (key == "location")
                    {
                        location = value;
                    }

                    break;
                case 14 when wire == WireVarint:
                    external |= reader.Varint() == 1;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return external ? $"tensor '{name}' keeps its data in the external file '{location ?? "(no location)"}'" : null;
    }

    private static OnnxModelProto ReadGraph(ReadOnlySpan<byte> graph)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var reader = new WireReader(graph);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == WireBytes:
                    nodes.Add(ReadNode(reader.Bytes()));
                    break;
                case 5 when wire == WireBytes:
                    var tensor = ReadTensor(reader.Bytes());
                    initializers[tensor.Name] = tensor;
                    break;
                case 11 when wire == WireBytes:
                    inputs.Add(ReadValueInfoName(reader.Bytes()));
                    break;
                case 12 when wire == WireBytes:
                    outputs.Add(ReadValueInfoName(reader.Bytes()));
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        foreach (var node in nodes)
        {
            if (node.OpType == "Constant" && node.Domain.Length == 0 && node.Outputs.Length == 1
                && node.Attributes.TryGetValue("value", out var value) && value.Tensor is { } t)
            {
                initializers[node.Outputs[0]] = new OnnxTensor(node.Outputs[0], t.Dims, t.DataType, t.Floats, t.Longs);
            }
        }

        return new OnnxModelProto(nodes, initializers, inputs, outputs);
    }

    private static string ReadValueInfoName(ReadOnlySpan<byte> info)
    {
        var reader = new WireReader(info);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == WireBytes)
            {
                return reader.String();
            }

            reader.Skip(wire);
        }

        return "";
    }

    private static OnnxNode ReadNode(ReadOnlySpan<byte> node)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string op = "";
        string domain = "";
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        var reader = new WireReader(node);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == WireBytes:
                    inputs.Add(reader.String());
                    break;
                case 2 when wire == WireBytes:
                    outputs.Add(reader.String());
                    break;
                case 4 when wire == WireBytes:
                    op = reader.String();
                    break;
                case 5 when wire == WireBytes:
                    var (name, attribute) = ReadAttribute(reader.Bytes());
                    attributes[name] = attribute;
                    break;
                case 7 when wire == WireBytes:
                    domain = reader.String();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return new OnnxNode(op, domain == "ai.onnx" ? "" : domain, [.. inputs], [.. outputs], attributes);
    }

    private static (string Name, OnnxAttribute Value) ReadAttribute(ReadOnlySpan<byte> attribute)
    {
        string name = "";
        float? f = null;
        long? i = null;
        OnnxTensor? t = null;
        var ints = new List<long>();
        var reader = new WireReader(attribute);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == WireBytes:
                    name = reader.String();
                    break;
                case 2 when wire == WireFixed32:
                    f = reader.Float();
                    break;
                case 3 when wire == WireVarint:
                    i = (long)reader.Varint();
                    break;
                case 5 when wire == WireBytes:
                    t = ReadTensor(reader.Bytes());
                    break;
                case 8 when wire == WireVarint:
                    ints.Add((long)reader.Varint());
                    break;
                case 8 when wire == WireBytes:
                    var packed = new WireReader(reader.Bytes());
                    while (!packed.AtEnd)
                    {
                        ints.Add((long)packed.Varint());
                    }

                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (name, new OnnxAttribute(f, i, t, [.. ints]));
    }

    private static OnnxTensor ReadTensor(ReadOnlySpan<byte> tensor)
    {
        var dims = new List<long>();
        int type = 0;
        string name = "";
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        var floats = new List<float>();
        var longs = new List<long>();
        bool external = false;
        var reader = new WireReader(tensor);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == WireVarint:
                    dims.Add((long)reader.Varint());
                    break;
                case 1 when wire == WireBytes:
                    var packedDims = new WireReader(reader.Bytes());
                    while (!packedDims.AtEnd)
                    {
                        dims.Add((long)packedDims.Varint());
                    }

                    break;
                case 2 when wire == WireVarint:
                    type = (int)reader.Varint();
                    break;
                case 4 when wire == WireFixed32:
                    floats.Add(reader.Float());
                    break;
                case 4 when wire == WireBytes:
                    var packedFloats = reader.Bytes();
                    for (int k = 0; k + 4 <= packedFloats.Length; k += 4)
                    {
                        floats.Add(BinaryPrimitives.ReadSingleLittleEndian(packedFloats[k..]));
                    }

                    break;
                case 7 when wire == WireVarint:
                    longs.Add((long)reader.Varint());
                    break;
                case 7 when wire == WireBytes:
                    var packedLongs = new WireReader(reader.Bytes());
                    while (!packedLongs.AtEnd)
                    {
                        longs.Add((long)packedLongs.Varint());
                    }

                    break;
                case 8 when wire == WireBytes:
                    name = reader.String();
                    break;
                case 9 when wire == WireBytes:
                    raw = reader.Bytes();
                    hasRaw = true;
                    break;
                case 13 when wire == WireBytes:
                    reader.Skip(wire);
                    external = true;
                    break;
                case 14 when wire == WireVarint:
                    external |= reader.Varint() == 1;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (external)
        {
            throw new NotSupportedException($"Tensor '{name}' keeps its data in an external file; the managed SASRec kernel reads embedded data only.");
        }

        long[] shape = [.. dims];
        long count = 1;
        foreach (long d in shape)
        {
            // Checked before multiplying: count × d could wrap (e.g. 4 × 2⁶² = 0) and pass a check made after it.
            if (d < 0 || (d > 0 && count > Array.MaxLength / d))
            {
                throw new InvalidDataException($"Tensor '{name}' has an invalid shape [{string.Join(", ", shape)}].");
            }

            count *= d;
        }

        float[]? f = null;
        long[]? l = null;
        if (type == OnnxTensor.Float)
        {
            if (hasRaw)
            {
                if (raw.Length != count * 4)
                {
                    throw new InvalidDataException($"Tensor '{name}' has {raw.Length} bytes of float32 data for {count} values.");
                }

                f = new float[count];
                for (int k = 0; k < f.Length; k++)
                {
                    f[k] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * k)..]);
                }
            }
            else
            {
                f = [.. floats];
            }

            if (f.Length != count)
            {
                throw new InvalidDataException($"Tensor '{name}' has {f.Length} float32 values for its shape [{string.Join(", ", shape)}].");
            }
        }
        else if (type == OnnxTensor.Int64)
        {
            if (hasRaw)
            {
                if (raw.Length != count * 8)
                {
                    throw new InvalidDataException($"Tensor '{name}' has {raw.Length} bytes of int64 data for {count} values.");
                }

                l = new long[count];
                for (int k = 0; k < l.Length; k++)
                {
                    l[k] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * k)..]);
                }
            }
            else
            {
                l = [.. longs];
            }

            if (l.Length != count)
            {
                throw new InvalidDataException($"Tensor '{name}' has {l.Length} int64 values for its shape [{string.Join(", ", shape)}].");
            }
        }

        return new OnnxTensor(name, shape, type, f, l);
    }

    /// <summary>A cursor over one protobuf message.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        public bool Next(out int field, out int wire)
        {
            if (AtEnd)
            {
                field = 0;
                wire = 0;
                return false;
            }

            ulong tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0)
            {
                throw Corrupt("field number 0");
            }

            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw Corrupt("a truncated varint");
                }

                byte b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw Corrupt("a varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_data.Length - _position))
            {
                throw Corrupt("a length-delimited field past the end of its message");
            }

            var bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            return bytes;
        }

        /// <summary>A string field. Invalid UTF-8 is refused (as Google.Protobuf does), so two names can never decode to one.</summary>
        public string String()
        {
            var bytes = Bytes();
            try
            {
                return s_strictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Corrupt("a string that is not UTF-8");
            }
        }

        /// <summary>A string field with invalid UTF-8 replaced, for the external-data scan: it must describe what ONNX Runtime (which does not check) would load.</summary>
        public string LenientString() => Encoding.UTF8.GetString(Bytes());

        public float Float()
        {
            if (_data.Length - _position < 4)
            {
                throw Corrupt("a truncated fixed32");
            }

            float value = BinaryPrimitives.ReadSingleLittleEndian(_data[_position..]);
            _position += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint:
                    Varint();
                    break;
                case WireFixed64:
                    Advance(8);
                    break;
                case WireBytes:
                    Bytes();
                    break;
                case WireFixed32:
                    Advance(4);
                    break;
                default:
                    throw Corrupt($"wire type {wire}");
            }
        }

        private void Advance(int count)
        {
            if (_data.Length - _position < count)
            {
                throw Corrupt("a truncated fixed-size field");
            }

            _position += count;
        }

        private static InvalidDataException Corrupt(string what) => new($"The ONNX model is not valid protobuf ({what}).");
    }
}
