using System.Collections.ObjectModel;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Ipg.Encoders.Onnx;

/// <summary>
/// The Ipg ONNX encoder contract, versions 1 and 2 (<c>docs/onnx-contract.md</c>): names, element types, shapes
/// and metadata keys, and the checks <see cref="OnnxSasRecEncoder"/> runs at load. Every failure is an
/// <see cref="InvalidDataException"/> whose message names the model and exactly what is wrong.
/// </summary>
internal static class OnnxSasRecContract
{
    public const int SupportedVersion = 2;

    public const string InputName = "item_ids";
    public const string UserOutputName = "user_embedding";
    public const string ItemsOutputName = "item_embeddings";
    public const string BiasOutputName = "item_bias";

    public const string ContractKey = "ipg.contract";
    public const string MaxLengthKey = "ipg.max_length";
    public const string HiddenSizeKey = "ipg.hidden_size";
    public const string ItemCountKey = "ipg.item_count";
    public const string IdConventionKey = "ipg.id_convention";
    public const string PaddingSideKey = "ipg.padding_side";
    public const string PositionConventionKey = "ipg.position_convention";
    public const string LayoutKey = "ipg.layout";
    public const string TrainingLogKey = "ipg.training_log_sha256";
    public const string ProducerKey = "ipg.producer";
    public const string AcceptanceKey = "ipg.acceptance";

    public const string IdConvention = "one_based_zero_padding";
    public const string PaddingSide = "left";

    /// <summary>
    /// The model's <c>metadata_props</c> as ONNX Runtime reads them. A corrupt entry (a key holding a NUL byte, found by
    /// the hostile-model corpus) makes ONNX Runtime's .NET wrapper throw <see cref="NullReferenceException"/>; that is
    /// reported as the corrupt file it is.
    /// </summary>
    /// <exception cref="InvalidDataException">ONNX Runtime cannot read the metadata.</exception>
    public static Dictionary<string, string> ReadProperties(InferenceSession session, string source)
    {
        try
        {
            return new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is NullReferenceException or OnnxRuntimeException or ArgumentException)
        {
            throw new InvalidDataException($"The ONNX model {source} is corrupt: ONNX Runtime cannot read its metadata ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>Parses and checks the contract's <c>metadata_props</c>.</summary>
    public static OnnxSasRecEncoderMetadata ReadMetadata(IReadOnlyDictionary<string, string> properties, string source)
    {
        if (!properties.TryGetValue(ContractKey, out string? version))
        {
            throw Broken(source, $"metadata key '{ContractKey}' is missing, so this is not an Ipg SASRec export (found keys: {KeyList(properties)}).");
        }

        if (!TryParsePositive(version, out int contract))
        {
            throw Broken(source, $"metadata '{ContractKey}' is '{version}', not a positive integer.");
        }

        if (contract > SupportedVersion)
        {
            throw Broken(source, $"metadata '{ContractKey}' is {contract}; this encoder reads contract versions 1 and 2 (a newer Ipg may read this model).");
        }

        int maxLength = PositiveInt(properties, MaxLengthKey, source);
        int hidden = PositiveInt(properties, HiddenSizeKey, source);
        int itemCount = PositiveInt(properties, ItemCountKey, source);
        if (itemCount == int.MaxValue)
        {
            throw Broken(source, $"metadata '{ItemCountKey}' is {itemCount}; the table would have more than int.MaxValue rows.");
        }

        if ((long)(itemCount + 1) * hidden > Array.MaxLength)
        {
            throw Broken(source, $"metadata '{ItemCountKey}' = {itemCount} and '{HiddenSizeKey}' = {hidden} describe an item table larger than a .NET array can hold.");
        }

        RequireExact(properties, IdConventionKey, IdConvention, source);
        RequireExact(properties, PaddingSideKey, PaddingSide, source);
        string position = RequireNonEmpty(properties, PositionConventionKey, source);
        string layout = RequireNonEmpty(properties, LayoutKey, source);
        string log = Require(properties, TrainingLogKey, source);
        if (log.Length != 0 && !IsSha256Hex(log))
        {
            throw Broken(source, $"metadata '{TrainingLogKey}' is '{log}', neither empty nor 64 hexadecimal digits.");
        }

        string producer = Require(properties, ProducerKey, source);
        var acceptance = ReadAcceptance(properties, contract, source);
        var copy = new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(properties, StringComparer.Ordinal));
        return new OnnxSasRecEncoderMetadata(contract, maxLength, hidden, itemCount, position, layout, log, producer, copy) { Acceptance = acceptance };
    }

    /// <summary>Checks the session's inputs and outputs against the contract and the metadata.</summary>
    public static void CheckSignature(IReadOnlyDictionary<string, NodeMetadata> inputs, IReadOnlyDictionary<string, NodeMetadata> outputs, OnnxSasRecEncoderMetadata metadata, string source)
    {
        if (!inputs.TryGetValue(InputName, out var input))
        {
            throw Broken(source, $"input '{InputName}' is missing (the model's inputs are {KeyList(inputs)}).");
        }

        if (inputs.Count != 1)
        {
            throw Broken(source, $"the contract has exactly one input, '{InputName}'; the model also needs {KeyList(inputs.Where(kv => kv.Key != InputName))}.");
        }

        CheckTensor(input, InputName, TensorElementType.Int64, source);
        CheckDimensions(input, InputName, "[batch, ipg.max_length]", [-1, metadata.MaxLength], source);

        if (!outputs.TryGetValue(UserOutputName, out var user))
        {
            throw Broken(source, $"output '{UserOutputName}' is missing (the model's outputs are {KeyList(outputs)}).");
        }

        CheckTensor(user, UserOutputName, TensorElementType.Float, source);
        CheckDimensions(user, UserOutputName, "[batch, ipg.hidden_size]", [-1, metadata.HiddenSize], source);

        if (!outputs.TryGetValue(ItemsOutputName, out var items))
        {
            throw Broken(source, $"output '{ItemsOutputName}' is missing (the model's outputs are {KeyList(outputs)}).");
        }

        CheckTensor(items, ItemsOutputName, TensorElementType.Float, source);
        CheckDimensions(items, ItemsOutputName, "[ipg.item_count + 1, ipg.hidden_size]", [metadata.ItemCount + 1, metadata.HiddenSize], source);

        if (outputs.TryGetValue(BiasOutputName, out var bias))
        {
            if (metadata.ContractVersion < 2)
            {
                // A contract-1 reader (Ipg 0.2) ignores outputs it does not know, and would score without the bias.
                throw Broken(source, $"output '{BiasOutputName}' is a contract-2 output, but '{ContractKey}' is {metadata.ContractVersion}; a model with a per-item bias must declare contract 2 so that older readers refuse it rather than score it without the bias.");
            }

            CheckTensor(bias, BiasOutputName, TensorElementType.Float, source);
            CheckDimensions(bias, BiasOutputName, "[ipg.item_count + 1]", [metadata.ItemCount + 1], source);
        }
    }

    /// <summary>
    /// <c>ipg.acceptance</c>: how logits become p̂. Contract 2 requires it (<c>sigmoid</c> or <c>softmax</c>); contract 1 is
    /// sigmoid by definition, so there the key may only say <c>sigmoid</c>.
    /// </summary>
    private static AcceptanceFunction ReadAcceptance(IReadOnlyDictionary<string, string> properties, int contract, string source)
    {
        if (!properties.TryGetValue(AcceptanceKey, out string? value))
        {
            return contract < 2
                ? AcceptanceFunction.Sigmoid
                : throw Broken(source, $"metadata key '{AcceptanceKey}' is missing; contract 2 requires it ('sigmoid' or 'softmax').");
        }

        var acceptance = value switch
        {
            "sigmoid" => AcceptanceFunction.Sigmoid,
            "softmax" => AcceptanceFunction.Softmax,
            _ => throw Broken(source, $"metadata '{AcceptanceKey}' is '{value}'; it must be 'sigmoid' or 'softmax'."),
        };
        if (contract < 2 && acceptance != AcceptanceFunction.Sigmoid)
        {
            throw Broken(source, $"metadata '{AcceptanceKey}' is '{value}', but '{ContractKey}' is {contract}: contract 1 is sigmoid only, and an older reader would score this model with a sigmoid. Declare contract 2.");
        }

        return acceptance;
    }

    /// <summary>Checks the fetched <c>item_embeddings</c> value (and <c>item_bias</c>, when the model has it) and copies them into a table.</summary>
    public static ItemEmbeddingTable ReadItemTable(OrtValue value, OrtValue? biasValue, OnnxSasRecEncoderMetadata metadata, string source)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float)
        {
            throw Broken(source, $"output '{ItemsOutputName}' produced {info.ElementDataType} values; the contract requires Float (float32).");
        }

        long[] shape = info.Shape;
        if (shape.Length != 2 || shape[0] != metadata.ItemCount + 1 || shape[1] != metadata.HiddenSize)
        {
            throw Broken(source,
                $"output '{ItemsOutputName}' has shape [{string.Join(", ", shape)}]; the contract requires " +
                $"[{metadata.ItemCount + 1}, {metadata.HiddenSize}] (ipg.item_count + 1 rows, row 0 = padding; ipg.hidden_size columns).");
        }

        var rows = value.GetTensorDataAsSpan<float>();
        int bad = ItemEmbeddingTable.IndexOfNonFinite(rows);
        if (bad >= 0)
        {
            throw Broken(source, $"output '{ItemsOutputName}' has a non-finite value ({rows[bad]}) at row {bad / metadata.HiddenSize}, column {bad % metadata.HiddenSize}.");
        }

        if (biasValue is null)
        {
            return new ItemEmbeddingTable(metadata.ItemCount, metadata.HiddenSize, rows);
        }

        var biasInfo = biasValue.GetTensorTypeAndShape();
        if (biasInfo.ElementDataType != TensorElementType.Float || biasInfo.Shape.Length != 1 || biasInfo.Shape[0] != metadata.ItemCount + 1)
        {
            throw Broken(source,
                $"output '{BiasOutputName}' produced {biasInfo.ElementDataType} [{string.Join(", ", biasInfo.Shape)}]; the contract requires Float [{metadata.ItemCount + 1}] (one bias per id, index 0 = padding).");
        }

        var biases = biasValue.GetTensorDataAsSpan<float>();
        int badBias = ItemEmbeddingTable.IndexOfNonFinite(biases);
        if (badBias >= 0)
        {
            throw Broken(source, $"output '{BiasOutputName}' has a non-finite value ({biases[badBias]}) for item {badBias}.");
        }

        return new ItemEmbeddingTable(metadata.ItemCount, metadata.HiddenSize, rows, biases);
    }

    public static InvalidDataException Broken(string source, string what, Exception? inner = null)
        => new($"The ONNX model {source} breaks the Ipg encoder contract (docs/onnx-contract.md): {what}", inner);

    private static void CheckTensor(NodeMetadata node, string name, TensorElementType expected, string source)
    {
        if (!node.IsTensor)
        {
            throw Broken(source, $"'{name}' is a {node.OnnxValueType}, not a tensor.");
        }

        if (node.ElementDataType != expected)
        {
            throw Broken(source, $"'{name}' has element type {node.ElementDataType}; the contract requires {expected} ({(expected == TensorElementType.Int64 ? "int64" : "float32")}).");
        }
    }

    /// <summary>
    /// Checks rank and dimensions. An expected -1 means "must be dynamic" (the batch axis); an expected
    /// size accepts that size or a dynamic axis (the encoder always feeds exactly that size, and the
    /// item table's actual shape is checked once it is fetched).
    /// </summary>
    private static void CheckDimensions(NodeMetadata node, string name, string contractShape, int[] expected, string source)
    {
        int[] dims = node.Dimensions;
        string actual = Describe(node);
        if (dims.Length != expected.Length)
        {
            throw Broken(source, $"'{name}' has rank {dims.Length} {actual}; the contract requires rank {expected.Length} {contractShape}.");
        }

        for (int k = 0; k < dims.Length; k++)
        {
            if (expected[k] == -1 && dims[k] != -1)
            {
                throw Broken(source, $"'{name}' has a fixed size {dims[k]} in axis {k} {actual}; the contract requires a dynamic batch axis there {contractShape}.");
            }

            if (expected[k] != -1 && dims[k] != -1 && dims[k] != expected[k])
            {
                throw Broken(source, $"'{name}' has size {dims[k]} in axis {k} {actual}; the metadata says {expected[k]} {contractShape}.");
            }
        }
    }

    private static string Describe(NodeMetadata node)
    {
        var parts = new string[node.Dimensions.Length];
        for (int k = 0; k < parts.Length; k++)
        {
            parts[k] = node.Dimensions[k] >= 0
                ? node.Dimensions[k].ToString(CultureInfo.InvariantCulture)
                : string.IsNullOrEmpty(node.SymbolicDimensions[k]) ? "?" : node.SymbolicDimensions[k];
        }

        return $"[{string.Join(", ", parts)}]";
    }

    private static int PositiveInt(IReadOnlyDictionary<string, string> properties, string key, string source)
    {
        string value = Require(properties, key, source);
        if (!TryParsePositive(value, out int parsed))
        {
            throw Broken(source, $"metadata '{key}' is '{value}', not a positive integer.");
        }

        return parsed;
    }

    private static bool TryParsePositive(string value, out int parsed)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out parsed) && parsed > 0;

    private static string Require(IReadOnlyDictionary<string, string> properties, string key, string source)
        => properties.TryGetValue(key, out string? value) ? value : throw Broken(source, $"metadata key '{key}' is missing.");

    private static string RequireNonEmpty(IReadOnlyDictionary<string, string> properties, string key, string source)
    {
        string value = Require(properties, key, source);
        return value.Length != 0 ? value : throw Broken(source, $"metadata '{key}' is empty.");
    }

    private static void RequireExact(IReadOnlyDictionary<string, string> properties, string key, string expected, string source)
    {
        string value = Require(properties, key, source);
        if (!string.Equals(value, expected, StringComparison.Ordinal))
        {
            throw Broken(source, $"metadata '{key}' is '{value}'; this encoder supports '{expected}' only.");
        }
    }

    private static bool IsSha256Hex(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigit);

    private static string KeyList<T>(IEnumerable<KeyValuePair<string, T>> entries)
    {
        var keys = entries.Select(kv => $"'{kv.Key}'").Order(StringComparer.Ordinal).ToArray();
        return keys.Length == 0 ? "none" : string.Join(", ", keys);
    }
}
