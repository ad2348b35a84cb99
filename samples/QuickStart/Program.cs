// Quick start: re-rank one user's catalogue towards a target item with IPG.
// Until the default ONNX SASRec lands, this uses a small built-in item table and the in-memory encoder
// (user = mean of the history's item embeddings); swap in any ISequentialEncoder.
using Ipg;
using Ipg.Encoders;

// Six items in 3 dimensions; ids are 1-based (0 is padding), rows given for ids 1..6.
var items = ItemEmbeddingTable.FromItemRows(itemCount: 6, dimension: 3,
[
    1.0f, 0.1f, 0.0f,   // 1: action
    0.9f, 0.3f, 0.1f,   // 2: action, a little drama
    0.5f, 0.8f, 0.2f,   // 3: action-drama
    0.1f, 1.0f, 0.3f,   // 4: drama
    0.0f, 0.4f, 1.0f,   // 5: documentary with drama
    0.0f, 0.1f, 1.0f,   // 6: documentary (the target)
]);

var encoder = new InMemoryEncoder(items);
var reranker = new IpgReranker(encoder, IpgOptions.Default);
var target = reranker.PrepareTarget(targetItemId: 6);   // once per target, reused for every user

int[] history = [1, 2];                                  // oldest first
var ranked = reranker.Recommend(history, target, count: 4, excludedItems: history);

Console.WriteLine($"History {string.Join(",", history)}, target {target.ItemId}");
Console.WriteLine("item      p̂        g        r = p̂·g");
foreach (var entry in ranked)
{
    Console.WriteLine($"{entry.ItemId,4} {entry.Probability,8:F4} {entry.Guidance,8:F4} {entry.Score,10:F4}");
}
