using System.Globalization;

namespace Ipg.Encoders.Managed;

/// <summary>The pmixer SASRec forward passes the managed kernel reproduces (<c>tools/sasrec/model.py</c>).</summary>
internal enum SasRecLayout
{
    /// <summary><c>pmixer-v1</c>: positions 0..L-1 on every slot, padding rows zeroed after the embedding and after every block.</summary>
    PmixerV1,

    /// <summary><c>pmixer-v2</c>: v1's block, positions 1-based with padding at position 0, no timeline mask.</summary>
    PmixerV2,

    /// <summary><c>pmixer-v3-prenorm</c>: v2's embeddings, standard pre-norm transformer blocks.</summary>
    PmixerV3PreNorm,

    /// <summary><c>pmixer-v3-postnorm</c>: v2's embeddings, standard post-norm transformer blocks.</summary>
    PmixerV3PostNorm,
}

/// <summary>x·W + b with W stored [in, out] row-major (ONNX MatMul's layout).</summary>
internal sealed record LinearWeights(float[] Weight, float[] Bias, int In, int Out);

/// <summary>A LayerNormalization over the last axis.</summary>
internal sealed record LayerNormWeights(float[] Scale, float[] Bias, float Epsilon);

/// <summary>One SASRec block's parameters.</summary>
internal sealed record SasRecBlockWeights(
    LayerNormWeights AttentionNorm,
    LinearWeights Query,
    LinearWeights Key,
    LinearWeights Value,
    LinearWeights Output,
    LayerNormWeights ForwardNorm,
    LinearWeights Conv1,
    LinearWeights Conv2);

/// <summary>Everything the managed forward pass needs, read from an exported SASRec graph.</summary>
internal sealed record SasRecWeights(
    SasRecLayout Layout,
    int Hidden,
    int MaxLength,
    int Heads,
    int ItemCount,
    float[] ItemEmbedding,
    float[] PositionEmbedding,
    float EmbeddingScale,
    float AttentionScale,
    SasRecBlockWeights[] Blocks,
    LayerNormWeights LastNorm);

/// <summary>
/// Finds the weights of an exported SASRec (<c>tools/sasrec/export_onnx.py</c>) by tracing the graph rather
/// than by initializer names or order: per attention (one <c>Softmax</c> per block, in graph order) the score
/// <c>MatMul</c>'s left operand leads back to the query projection and its right operand to the key
/// projection, the <c>MatMul</c> with the softmax output leads back to the value projection and forward to
/// the output projection; per feed-forward (one <c>Relu</c> per block) the projections around the
/// <c>Relu</c> are conv1 and conv2; the layer norms are found from where their outputs go. Anything
/// unexpected throws <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class SasRecGraphReader
{
    private readonly OnnxModelProto _model;
    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);

    /// <summary>
    /// The fewest inputs each operator the tracer reads must have: it indexes them by position, so a node with fewer
    /// (which ONNX Runtime would refuse too) is refused here rather than read past its end.
    /// </summary>
    private static readonly Dictionary<string, int> s_minimumInputs = new(StringComparer.Ordinal)
    {
        ["Add"] = 2, ["Mul"] = 2, ["Div"] = 2, ["Sub"] = 2, ["MatMul"] = 2, ["Gather"] = 2, ["Reshape"] = 2, ["Concat"] = 1,
        ["Where"] = 3, ["Slice"] = 1, ["Transpose"] = 1, ["Shape"] = 1, ["Softmax"] = 1, ["Relu"] = 1, ["LayerNormalization"] = 3,
    };

    private SasRecGraphReader(OnnxModelProto model)
    {
        _model = model;
        foreach (var node in model.Nodes)
        {
            if (node.Outputs.Length == 0 || node.Inputs.Length < s_minimumInputs.GetValueOrDefault(node.OpType))
            {
                throw Unsupported($"node {node} has {node.Inputs.Length} inputs and {node.Outputs.Length} outputs, too few for {node.OpType}");
            }

            foreach (string output in node.Outputs)
            {
                _producers[output] = node;
            }

            foreach (string input in node.Inputs)
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }
        }
    }

    public static SasRecWeights Read(OnnxModelProto model, OnnxSasRecEncoderMetadata metadata)
    {
        var layout = metadata.Layout switch
        {
            "pmixer-v1" => SasRecLayout.PmixerV1,
            "pmixer-v2" => SasRecLayout.PmixerV2,
            "pmixer-v3-prenorm" => SasRecLayout.PmixerV3PreNorm,
            "pmixer-v3-postnorm" => SasRecLayout.PmixerV3PostNorm,
            _ => throw Unsupported($"layout '{metadata.Layout}' is not one of pmixer-v1, pmixer-v2, pmixer-v3-prenorm, pmixer-v3-postnorm"),
        };
        return new SasRecGraphReader(model).Read(layout, metadata);
    }

    internal static NotSupportedException Unsupported(string what) => new($"the graph is not a SASRec export the managed kernel recognises: {what}");

    private SasRecWeights Read(SasRecLayout layout, OnnxSasRecEncoderMetadata metadata)
    {
        int d = metadata.HiddenSize;
        int length = metadata.MaxLength;
        int n = metadata.ItemCount;
        if (_model.Inputs.Count == 0 || !_model.Inputs.Contains(Onnx.OnnxSasRecContract.InputName))
        {
            throw Unsupported($"there is no graph input '{Onnx.OnnxSasRecContract.InputName}'");
        }

        // Embeddings: the Gather of item_ids from an [N+1, d] table, scaled by a scalar Mul; the other [·, d] Gather is the positions.
        var itemGather = _model.Nodes.OnlyOrDefault(x => x.OpType == "Gather" && x.Inputs.Length == 2 && x.Inputs[1] == Onnx.OnnxSasRecContract.InputName)
            ?? throw Unsupported("no single Gather reads item_ids");
        var itemTable = Float(itemGather.Inputs[0], "item embedding table");
        if (!itemTable.HasShape(n + 1, d))
        {
            throw Unsupported($"the item table is [{string.Join(", ", itemTable.Dims)}], not [{n + 1}, {d}]");
        }

        var scaleMul = Consumers(itemGather.Outputs[0]).OnlyOrDefault(x => x.OpType == "Mul")
            ?? throw Unsupported("the item embeddings are not scaled by a Mul");
        float embeddingScale = ScalarOperand(scaleMul, itemGather.Outputs[0])
            ?? throw Unsupported("the item embedding scale is not a constant scalar");

        var positionGathers = _model.Nodes
            .Where(x => x.OpType == "Gather" && x != itemGather && x.Inputs.Length == 2
                && _model.Initializers.TryGetValue(x.Inputs[0], out var t) && t.Dims.Length == 2 && t.Dims[1] == d)
            .ToList();
        if (positionGathers.Count != 1)
        {
            throw Unsupported($"expected one position-embedding Gather, found {positionGathers.Count}");
        }

        var positions = Float(positionGathers[0].Inputs[0], "position embedding table");
        int positionRows = layout == SasRecLayout.PmixerV1 ? length : length + 1;
        if (positions.Dims[0] != positionRows)
        {
            throw Unsupported($"layout {metadata.Layout} needs {positionRows} position rows for L = {length}, the table has {positions.Dims[0]}");
        }

        var softmaxes = _model.Nodes.Where(x => x.OpType == "Softmax").ToList();
        var relus = _model.Nodes.Where(x => x.OpType == "Relu").ToList();
        if (softmaxes.Count == 0 || softmaxes.Count != relus.Count)
        {
            throw Unsupported($"found {softmaxes.Count} Softmax and {relus.Count} Relu nodes; a SASRec block has one of each");
        }

        if (metadata.Properties.TryGetValue("ipg.blocks", out string? blocksText)
            && (!int.TryParse(blocksText, NumberStyles.None, CultureInfo.InvariantCulture, out int declared) || declared != softmaxes.Count))
        {
            throw Unsupported($"ipg.blocks is '{blocksText}' but the graph has {softmaxes.Count} attention blocks");
        }

        var blocks = new SasRecBlockWeights[softmaxes.Count];
        float attentionScale = float.NaN;
        int heads = -1;
        for (int b = 0; b < blocks.Length; b++)
        {
            var (block, scale, graphHeads) = ReadBlock(layout, softmaxes[b], relus[b], d, b);
            blocks[b] = block;
            if (b == 0)
            {
                attentionScale = scale;
                heads = graphHeads;
            }
            else if (scale != attentionScale || graphHeads != heads)
            {
                throw Unsupported($"block {b} has a different attention scale or head count than block 0");
            }
        }

        if (metadata.Properties.TryGetValue("ipg.heads", out string? headsText))
        {
            if (!int.TryParse(headsText, NumberStyles.None, CultureInfo.InvariantCulture, out int declaredHeads) || declaredHeads < 1)
            {
                throw Unsupported($"ipg.heads is '{headsText}'");
            }

            if (heads > 0 && heads != declaredHeads)
            {
                throw Unsupported($"ipg.heads is {declaredHeads} but the attention reshapes to {heads} heads");
            }

            heads = declaredHeads;
        }

        if (heads < 1 || d % heads != 0)
        {
            throw Unsupported($"the head count ({heads}) is unknown or does not divide the hidden size {d}");
        }

        string output = _model.Outputs.Contains(Onnx.OnnxSasRecContract.UserOutputName)
            ? Onnx.OnnxSasRecContract.UserOutputName
            : throw Unsupported($"there is no graph output '{Onnx.OnnxSasRecContract.UserOutputName}'");
        var lastNorm = NormAbove(output, "the last layer norm");
        return new SasRecWeights(layout, d, length, heads, n, itemTable.Floats!, positions.Floats!, embeddingScale, attentionScale, blocks, lastNorm);
    }

    private (SasRecBlockWeights Block, float Scale, int Heads) ReadBlock(SasRecLayout layout, OnnxNode softmax, OnnxNode relu, int d, int b)
    {
        string where = $"block {b}";

        // Scores: Softmax <- (Where mask) <- MatMul(Q·scale, Kᵀ).
        string scores = softmax.Inputs[0];
        var node = Producer(scores, where);
        while (node.OpType is "Where" or "Add")
        {
            scores = node.OpType == "Where" ? node.Inputs[2] : NonConstantOperand(node, where);
            node = Producer(scores, where);
        }

        if (node.OpType != "MatMul")
        {
            throw Unsupported($"{where}: the attention scores come from {node.OpType}, not MatMul");
        }

        float scale = 1f;
        var query = LinearAbove(node.Inputs[0], ref scale, d, $"{where} query");
        float unused = 1f;
        var key = LinearAbove(node.Inputs[1], ref unused, d, $"{where} key");
        var context = Consumers(softmax.Outputs[0]).OnlyOrDefault(x => x.OpType == "MatMul" && x.Inputs[0] == softmax.Outputs[0])
            ?? throw Unsupported($"{where}: the softmax output does not go into one MatMul");
        var value = LinearAbove(context.Inputs[1], ref unused, d, $"{where} value");
        if (unused != 1f)
        {
            throw Unsupported($"{where}: keys or values are scaled");
        }

        var (output, outputTensor) = LinearBelow(context.Outputs[0], d, $"{where} output projection");
        int heads = HeadsOf(query.Output, d);

        var conv1 = Linear(relu.Inputs[0], d, $"{where} conv1");
        var (conv2, conv2Tensor) = LinearBelow(relu.Outputs[0], d, $"{where} conv2");

        LayerNormWeights attentionNorm;
        LayerNormWeights forwardNorm;
        if (layout == SasRecLayout.PmixerV3PostNorm)
        {
            // y = LN_a(x + attention(x)); x = LN_f(y + FFN(y)).
            if (key.Data != value.Data || SliceSource(query.Data) != key.Data)
            {
                throw Unsupported($"{where}: post-norm attention should read the same states for queries, keys and values");
            }

            attentionNorm = NormBelow(outputTensor, $"{where} attention layer norm");
            forwardNorm = NormBelow(conv2Tensor, $"{where} forward layer norm");
            if (NormAbove(conv1.Data, $"{where} FFN input") != attentionNorm)
            {
                throw Unsupported($"{where}: the feed-forward does not read the attention layer norm's output");
            }
        }
        else
        {
            attentionNorm = NormAbove(query.Data, $"{where} attention layer norm");
            forwardNorm = NormAbove(conv1.Data, $"{where} forward layer norm");
            var queryNorm = NormProducerOrNull(query.Data)!;
            bool expectNormed = layout == SasRecLayout.PmixerV3PreNorm;
            bool ok = key.Data == value.Data && (expectNormed
                ? _producers.GetValueOrDefault(key.Data) == queryNorm
                : SliceSource(queryNorm.Inputs[0]) == key.Data);
            if (!ok)
            {
                throw Unsupported($"{where}: keys and values should read the {(expectNormed ? "normalised" : "un-normalised")} states the queries are normalised from");
            }
        }

        var block = new SasRecBlockWeights(attentionNorm, query.Weights, key.Weights, value.Weights, output, forwardNorm, conv1.Weights, conv2);
        return (block, scale, heads);
    }

    private sealed record TracedLinear(LinearWeights Weights, string Data, string Output);

    /// <summary>Walks up through Reshape/Transpose and scalar Mul (collected into <paramref name="scale"/>) to a projection.</summary>
    private TracedLinear LinearAbove(string tensor, ref float scale, int d, string what)
    {
        while (true)
        {
            var node = Producer(tensor, what);
            switch (node.OpType)
            {
                case "Reshape" or "Transpose" or "Identity":
                    tensor = node.Inputs[0];
                    break;
                case "Mul":
                    string data = NonConstantOperand(node, what);
                    scale *= ScalarOperand(node, data) ?? throw Unsupported($"{what}: multiplied by a non-scalar");
                    tensor = data;
                    break;
                case "Add":
                    return Linear(tensor, d, what);
                default:
                    throw Unsupported($"{what}: reached {node.OpType} before a projection");
            }
        }
    }

    /// <summary>Walks down through Transpose/Reshape to a projection (MatMul with a [d, d] initializer, then Add of a [d] bias).</summary>
    private (LinearWeights Weights, string Output) LinearBelow(string tensor, int d, string what)
    {
        while (true)
        {
            var next = Consumers(tensor).Where(x => x.OpType != "Shape").ToList();
            if (next.Count != 1)
            {
                throw Unsupported($"{what}: expected one consumer of '{tensor}', found {next.Count}");
            }

            var node = next[0];
            if (node.OpType is "Transpose" or "Reshape" && node.Inputs[0] == tensor)
            {
                tensor = node.Outputs[0];
                continue;
            }

            if (node.OpType == "MatMul" && node.Inputs[0] == tensor)
            {
                var add = Consumers(node.Outputs[0]).OnlyOrDefault(x => x.OpType == "Add")
                    ?? throw Unsupported($"{what}: the MatMul has no bias Add");
                var traced = Linear(add.Outputs[0], d, what);
                return (traced.Weights, add.Outputs[0]);
            }

            throw Unsupported($"{what}: reached {node.OpType} before a projection");
        }
    }

    /// <summary><paramref name="tensor"/> = Add(bias [d], MatMul(data, W [d, d])).</summary>
    private TracedLinear Linear(string tensor, int d, string what)
    {
        var add = Producer(tensor, what);
        if (add.OpType != "Add" || add.Inputs.Length != 2)
        {
            throw Unsupported($"{what}: '{tensor}' is not a bias Add");
        }

        for (int side = 0; side < 2; side++)
        {
            if (!_model.Initializers.TryGetValue(add.Inputs[side], out var bias) || _producers.ContainsKey(add.Inputs[1 - side]) is false)
            {
                continue;
            }

            var matmul = _producers[add.Inputs[1 - side]];
            if (matmul.OpType != "MatMul" || !_model.Initializers.TryGetValue(matmul.Inputs[1], out var weight))
            {
                continue;
            }

            if (bias.DataType != OnnxTensor.Float || weight.DataType != OnnxTensor.Float || !bias.HasShape(d) || !weight.HasShape(d, d))
            {
                throw Unsupported($"{what}: the projection is [{string.Join(", ", weight.Dims)}] + [{string.Join(", ", bias.Dims)}], not [{d}, {d}] + [{d}]");
            }

            return new TracedLinear(new LinearWeights(weight.Floats!, bias.Floats!, d, d), matmul.Inputs[0], tensor);
        }

        throw Unsupported($"{what}: '{tensor}' is not MatMul(x, W) + b with constant W and b");
    }

    /// <summary>The head count from the Reshape of the query projection to [batch, T, heads, head size].</summary>
    private int HeadsOf(string queryOutput, int d)
    {
        foreach (var reshape in Consumers(queryOutput).Where(x => x.OpType == "Reshape"))
        {
            if (_model.Initializers.TryGetValue(reshape.Inputs[1], out var constShape) && constShape.Longs is { Length: 4 } s)
            {
                return (int)s[2];
            }

            if (_producers.TryGetValue(reshape.Inputs[1], out var concat) && concat.OpType == "Concat" && concat.Inputs.Length == 4
                && _model.Initializers.TryGetValue(concat.Inputs[2], out var h) && h.Longs is { Length: 1 } hv
                && _model.Initializers.TryGetValue(concat.Inputs[3], out var hd) && hd.Longs is { Length: 1 } hdv
                && hv[0] * hdv[0] == d)
            {
                return (int)hv[0];
            }
        }

        return -1;
    }

    /// <summary>The input of a Slice producing <paramref name="tensor"/> (the last-position-only query), else the tensor itself.</summary>
    private string SliceSource(string tensor)
        => _producers.TryGetValue(tensor, out var node) && node.OpType == "Slice" ? node.Inputs[0] : tensor;

    private LayerNormWeights NormAbove(string tensor, string what)
    {
        return NormProducerOrNull(tensor) is { } node ? Norm(node, what) : throw Unsupported($"{what}: no LayerNormalization above '{tensor}'");
    }

    /// <summary>The LayerNormalization producing <paramref name="tensor"/>, looking through Slice/Gather/Squeeze/Reshape/Identity.</summary>
    private OnnxNode? NormProducerOrNull(string tensor)
    {
        while (_producers.TryGetValue(tensor, out var node))
        {
            switch (node.OpType)
            {
                case "LayerNormalization":
                    return node;
                case "Slice" or "Gather" or "Squeeze" or "Reshape" or "Identity":
                    tensor = node.Inputs[0];
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The LayerNormalization that the residual Add consuming <paramref name="tensor"/> feeds.</summary>
    private LayerNormWeights NormBelow(string tensor, string what)
    {
        var add = Consumers(tensor).OnlyOrDefault(x => x.OpType == "Add")
            ?? throw Unsupported($"{what}: no residual Add after '{tensor}'");
        var norm = Consumers(add.Outputs[0]).OnlyOrDefault(x => x.OpType == "LayerNormalization")
            ?? throw Unsupported($"{what}: the residual Add does not feed a LayerNormalization");
        return Norm(norm, what);
    }

    private readonly Dictionary<OnnxNode, LayerNormWeights> _norms = [];

    private LayerNormWeights Norm(OnnxNode node, string what)
    {
        if (_norms.TryGetValue(node, out var cached))
        {
            return cached;
        }

        if (node.Inputs.Length != 3 || node.Domain.Length != 0)
        {
            throw Unsupported($"{what}: LayerNormalization without scale and bias");
        }

        var scale = Float(node.Inputs[1], what);
        var bias = Float(node.Inputs[2], what);
        long axis = node.Attributes.TryGetValue("axis", out var a) && a.Int is long ax ? ax : -1;
        float epsilon = node.Attributes.TryGetValue("epsilon", out var e) && e.Float is float eps ? eps : 1e-5f;
        if (axis is not (-1 or 2) || scale.Dims.Length != 1 || !bias.HasShape(scale.Dims))
        {
            throw Unsupported($"{what}: LayerNormalization over axis {axis} with scale [{string.Join(", ", scale.Dims)}]");
        }

        var weights = new LayerNormWeights(scale.Floats!, bias.Floats!, epsilon);
        _norms[node] = weights;
        return weights;
    }

    private OnnxTensor Float(string name, string what)
    {
        return _model.Initializers.TryGetValue(name, out var t) && t.DataType == OnnxTensor.Float
            ? t
            : throw Unsupported($"{what}: '{name}' is not a float32 initializer");
    }

    private OnnxNode Producer(string tensor, string what)
    {
        return _producers.TryGetValue(tensor, out var node) ? node : throw Unsupported($"{what}: '{tensor}' has no producing node");
    }

    private List<OnnxNode> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

    private string NonConstantOperand(OnnxNode node, string what)
    {
        if (node.Inputs.Length == 2)
        {
            bool c0 = _model.Initializers.ContainsKey(node.Inputs[0]);
            bool c1 = _model.Initializers.ContainsKey(node.Inputs[1]);
            if (c0 != c1)
            {
                return c0 ? node.Inputs[1] : node.Inputs[0];
            }
        }

        throw Unsupported($"{what}: {node.OpType} does not combine one tensor with one constant");
    }

    private float? ScalarOperand(OnnxNode node, string data)
    {
        string other = node.Inputs.Length == 2 ? (node.Inputs[0] == data ? node.Inputs[1] : node.Inputs[0]) : "";
        return _model.Initializers.TryGetValue(other, out var t) ? t.Scalar : null;
    }
}

/// <summary>Graph queries that refuse an ambiguous graph as not recognised rather than throwing from LINQ.</summary>
internal static class GraphQueries
{
    /// <summary>
    /// The one node that matches, or null when none does. More than one (which <c>SingleOrDefault</c> reported as
    /// <see cref="InvalidOperationException"/>; the fuzzer found it) throws <see cref="NotSupportedException"/>.
    /// </summary>
    public static OnnxNode? OnlyOrDefault(this IEnumerable<OnnxNode> nodes, Func<OnnxNode, bool> match)
    {
        OnnxNode? found = null;
        foreach (var node in nodes)
        {
            if (!match(node))
            {
                continue;
            }

            if (found is not null)
            {
                throw SasRecGraphReader.Unsupported($"{found} and {node} both match where one node is expected");
            }

            found = node;
        }

        return found;
    }
}
