namespace Ipg.Encoders;

/// <summary>
/// How an exported model's logits become interaction probabilities p̂ (<c>ipg.acceptance</c>,
/// <c>docs/onnx-contract.md</c>), as the model was trained.
/// </summary>
public enum AcceptanceFunction
{
    /// <summary>The element-wise sigmoid (SASRec's and gSASRec's per-item binary losses, BPR); contract 1 is always this.</summary>
    Sigmoid = 0,

    /// <summary>
    /// The softmax over the scored items (cross-entropy over the catalogue: GRU4Rec, RecBole's default SASRec). Over a
    /// candidate list p̂ is normalised over the candidates; the ranking does not depend on which items the list holds,
    /// since every item of one user shares the normaliser.
    /// </summary>
    Softmax = 1,
}
