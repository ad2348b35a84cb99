namespace Ipg.Simulation.Worlds;

/// <summary>The layouts of interaction log that <see cref="InteractionLogReader"/> reads (docs/real-data.md "Log formats").</summary>
public enum InteractionLogKind
{
    /// <summary>One <c>user item</c> line per interaction, in time order (the layout of <see cref="InteractionLogFormat"/> and tools/sasrec).</summary>
    Lines,

    /// <summary>
    /// MovieLens ratings: ML-1M <c>ratings.dat</c> (<c>user::item::rating::timestamp</c>) or ML-100K <c>u.data</c>
    /// (tab- or space-separated <c>user item rating timestamp</c>). Each user's items are ordered by timestamp, ties by file order;
    /// every rating counts as an interaction.
    /// </summary>
    MovieLens,

    /// <summary>One user per line, <c>user item item …</c> in time order (the s3rec files, e.g. <c>LastFM.txt</c>).</summary>
    Sequences,

    /// <summary>One user per line without a user column, <c>item item …</c> in time order; the user's raw id is the
    /// 1-based line number (e.g. <c>ml-1m-sasrec_gSASRec-split/train/input.txt</c>).</summary>
    ItemSequences,
}
