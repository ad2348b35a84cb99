namespace Ipg.Guidance;

/// <summary>
/// The one definition of the history a look-ahead encodes: the most recent items the encoder reads, and s ⊕ i
/// keeping the most recent <c>max − 1</c> items of s (what the encoder would keep anyway).
/// </summary>
internal static class HistoryWindow
{
    /// <summary>The last <paramref name="maxLength"/> items of <paramref name="history"/>.</summary>
    public static ReadOnlyMemory<int> Window(ReadOnlyMemory<int> history, int maxLength) =>
        history.Length > maxLength ? history[^maxLength..] : history;

    /// <summary>s ⊕ i, keeping the most recent <c>max − 1</c> items of s.</summary>
    public static int[] Append(ReadOnlySpan<int> history, int item, int maxLength)
    {
        int keep = Math.Min(history.Length, Math.Max(0, maxLength - 1));
        var extended = new int[keep + 1];
        history[^keep..].CopyTo(extended);
        extended[keep] = item;
        return extended;
    }
}
