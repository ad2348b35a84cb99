// Quick start: load the default SASRec shipped in the package and re-rank one user's catalogue towards a
// target item with IPG. Swap SasRecDefaultModel.Load() for OnnxSasRecEncoder.Load("your-model.onnx").
using Ipg;
using Ipg.Encoders;

using var encoder = SasRecDefaultModel.Load();                 // ONNX SASRec: 3,533 items, d = 48
var reranker = new IpgReranker(encoder, IpgOptions.Default);
var target = reranker.PrepareTarget(targetItemId: 2277);        // once per target, reused for every user

int[] history = [1772, 1632, 609, 2843, 3222, 3049, 546, 236];   // the user's items, oldest first (ids 1..N)
var ranked = reranker.Recommend(history, target, count: 10, excludedItems: history);

Console.WriteLine($"Model: {encoder.ItemCount} items, d = {encoder.Dimension}, max length {encoder.MaxHistoryLength}");
Console.WriteLine($"History [{string.Join(", ", history)}] → target {target.ItemId}");
Console.WriteLine(" rank  item       p̂         g     r = p̂·g");
for (int i = 0; i < ranked.Length; i++)
{
    var e = ranked[i];
    Console.WriteLine($"{i + 1,5} {e.ItemId,5} {e.Probability,8:F4} {e.Guidance,9:F4} {e.Score,11:F4}");
}
