// Your model is not ONNX: bring its item embeddings (and, if you like, your own user representation)
// and re-rank with IPG from the core package alone. Ids are 1..N; 0 is padding.
using Ipg;
using Ipg.Encoders;

const int itemCount = 1000, dimension = 16;

// 1. The item table: N × d rows from your own store (an embedding service, a feature table, a file).
//    Here they are seeded pseudo-random values so that the sample is reproducible.
var rows = new float[itemCount * dimension];
var random = new Random(7);
for (int i = 0; i < rows.Length; i++)
{
    rows[i] = (float)(random.NextDouble() * 2 - 1) * 1.2f;
}

var items = ItemEmbeddingTable.FromItemRows(itemCount, dimension, rows); // row k is item k + 1; validated, copied

// 2. The user representation. The default is the mean of the history's items; here recent items weigh more.
var encoder = new InMemoryEncoder(items, maxHistoryLength: 50, representation: RecencyWeightedMean);

// 3. Re-rank towards a target exactly as with the ONNX encoder.
var reranker = new IpgReranker(encoder, IpgOptions.Default);
var target = reranker.PrepareTarget(targetItemId: 42);
int[] history = [5, 17, 256, 311, 980];
var ranked = reranker.Recommend(history, target, count: 10, excludedItems: history);

Console.WriteLine($"In-memory encoder: {encoder.ItemCount} items, d = {encoder.Dimension}");
Console.WriteLine(" rank  item       p̂         g     r = p̂·g");
for (int i = 0; i < ranked.Length; i++)
{
    var e = ranked[i];
    Console.WriteLine($"{i + 1,5} {e.ItemId,5} {e.Probability,8:F4} {e.Guidance,9:F4} {e.Score,11:F4}");
}

static void RecencyWeightedMean(ReadOnlySpan<int> history, ItemEmbeddingTable items, Span<float> user)
{
    user.Clear();
    float total = 0;
    for (int t = 0; t < history.Length; t++)
    {
        float w = MathF.Pow(0.8f, history.Length - 1 - t); // the newest item weighs 1, the one before 0.8, ...
        var row = items[history[t]];
        for (int j = 0; j < user.Length; j++)
        {
            user[j] += w * row[j];
        }

        total += w;
    }

    if (total > 0)
    {
        for (int j = 0; j < user.Length; j++)
        {
            user[j] /= total;
        }
    }
}
