namespace Ipg.Encoders;

/// <summary>
/// The Ipg contract metadata (<c>metadata_props</c>) of the model an <see cref="OnnxSasRecEncoder"/>
/// runs, parsed and checked at load (see <c>docs/onnx-contract.md</c>).
/// </summary>
public sealed class OnnxSasRecEncoderMetadata
{
    internal OnnxSasRecEncoderMetadata(
        int contractVersion,
        int maxLength,
        int hiddenSize,
        int itemCount,
        string positionConvention,
        string layout,
        string trainingLogSha256,
        string producer,
        IReadOnlyDictionary<string, string> properties)
    {
        ContractVersion = contractVersion;
        MaxLength = maxLength;
        HiddenSize = hiddenSize;
        ItemCount = itemCount;
        PositionConvention = positionConvention;
        Layout = layout;
        TrainingLogSha256 = trainingLogSha256;
        Producer = producer;
        Properties = properties;
    }

    /// <summary>The contract version, <c>ipg.contract</c> (this encoder reads versions 1 and 2).</summary>
    public int ContractVersion { get; }

    /// <summary>The number of history slots L of the <c>item_ids</c> input, <c>ipg.max_length</c>.</summary>
    public int MaxLength { get; }

    /// <summary>The hidden size d of user and item embeddings, <c>ipg.hidden_size</c>.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of real items N, <c>ipg.item_count</c> (ids <c>1..N</c>, 0 = padding).</summary>
    public int ItemCount { get; }

    /// <summary>
    /// How the exported graph numbers positions, <c>ipg.position_convention</c> (informational: the graph
    /// applies it itself, the encoder only pads on the left as the contract says).
    /// </summary>
    public string PositionConvention { get; }

    /// <summary>The SASRec implementation layout the weights came from, <c>ipg.layout</c>.</summary>
    public string Layout { get; }

    /// <summary>SHA-256 (hex) of the training log, <c>ipg.training_log_sha256</c>; empty when the producer did not record one.</summary>
    public string TrainingLogSha256 { get; }

    /// <summary>The tool that exported the model, <c>ipg.producer</c>.</summary>
    public string Producer { get; }

    /// <summary>
    /// How logits become p̂, <c>ipg.acceptance</c>: <see cref="AcceptanceFunction.Sigmoid"/> (contract 1, and models trained
    /// per item with BCE or BPR) or <see cref="AcceptanceFunction.Softmax"/> (cross-entropy over the catalogue; contract 2).
    /// </summary>
    public AcceptanceFunction Acceptance { get; internal init; }

    /// <summary>Every <c>metadata_props</c> entry of the model, including keys outside the contract.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }
}
