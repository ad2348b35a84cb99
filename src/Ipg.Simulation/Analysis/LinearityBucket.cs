namespace Ipg.Simulation.Analysis;

/// <summary>
/// Linear versus exact look-ahead for the histories of one length range (or all of them). Agreement figures
/// are means over (history, target) pairs of per-pair statistics over the candidates; they are for the
/// Increase form, whose g (and r = p̂·g) ranking does not depend on γ.
/// </summary>
/// <param name="Label">E.g. "10–19" or "all".</param>
/// <param name="MinLength">Shortest history length in the bucket (inclusive).</param>
/// <param name="MaxLength">Longest (inclusive); <see cref="int.MaxValue"/> for the open-ended bucket.</param>
/// <param name="Histories">Histories in the bucket.</param>
/// <param name="Pairs">(history, target) pairs compared.</param>
/// <param name="PearsonG">Mean Pearson correlation of linear g and exact g over the candidates.</param>
/// <param name="SpearmanG">Mean Spearman correlation of linear g and exact g.</param>
/// <param name="SpearmanScore">Mean Spearman correlation of the IPG scores r = p̂·g (linear vs exact).</param>
/// <param name="TopKOverlap">Mean overlap of the top-K by r (linear vs exact), K = <see cref="LinearityOptions.TopK"/>.</param>
/// <param name="Top1Agreement">Share of pairs where linear and exact r pick the same best candidate.</param>
/// <param name="ExactBestInLinearShortlist">Per shortlist size M: share of pairs whose exact-best candidate is in the linear top-M by r (what <see cref="LookAheadMode.Exact"/> with that M can find).</param>
/// <param name="LoggedMoves">γ fit over (history, logged next item) pairs: the real one-step moves.</param>
/// <param name="CandidateMoves">γ fit over (history, candidate) pairs: the moves the look-ahead scores.</param>
/// <param name="AffineSpearmanScore">
/// Mean Spearman correlation of exact r with the r of the <b>fitted affine</b> look-ahead
/// <c>ê_u' = a·ê_u + b·ê_i</c> (a, b from <see cref="LinearityReport.Overall"/>'s candidate moves, i.e. in
/// sample): g = b·ê_j·ê_i + (a − 1)·ê_j·ê_u, as cheap as the linear one.
/// </param>
/// <param name="AffineTopKOverlap">Mean top-K overlap of the affine and exact r.</param>
/// <param name="AffineTop1Agreement">Share of pairs where the affine and exact r pick the same best candidate.</param>
public sealed record LinearityBucket(
    string Label,
    int MinLength,
    int MaxLength,
    int Histories,
    int Pairs,
    double PearsonG,
    double SpearmanG,
    double SpearmanScore,
    double TopKOverlap,
    double Top1Agreement,
    IReadOnlyDictionary<int, double> ExactBestInLinearShortlist,
    GammaFit LoggedMoves,
    GammaFit CandidateMoves,
    double AffineSpearmanScore,
    double AffineTopKOverlap,
    double AffineTop1Agreement);
