using System.Globalization;
using Ipg.Guidance;

namespace Ipg.Cli;

/// <summary>The cost knob of planned guidance given on the command line as "H,B,M" (<c>--planned</c>).</summary>
/// <param name="Horizon">Rounds planned, 1–4.</param>
/// <param name="Beam">Next items kept per planning step, ≥ 1.</param>
/// <param name="Shortlist">Candidates re-scored, ≥ 1.</param>
internal sealed record PlannedSetting(int Horizon, int Beam, int Shortlist)
{
    /// <summary>Parses "H,B,M"; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out PlannedSetting? setting, out string error)
    {
        setting = null;
        error = $"--planned expects \"H,B,M\" (horizon 1–4, beam ≥ 1, shortlist ≥ 1; e.g. 2,4,10), got \"{text}\".";
        var parts = (text ?? "").Split(',');
        if (parts.Length != 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int b)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int m)
            || h is < 1 or > 4 || b < 1 || m < 1)
        {
            return false;
        }

        setting = new PlannedSetting(h, b, m);
        return true;
    }

    /// <summary>The planner over the cosine step model, planning with <paramref name="acceptance"/> (the encoder's own p̂ when null).</summary>
    public PlannedGuidance Create(AcceptanceCalibration? acceptance) =>
        new(CosineGuidance.Instance, Horizon, Beam, Shortlist, GuidanceForm.Cosine, acceptance);

    /// <summary>"H=2,B=4,M=10".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"H={Horizon},B={Beam},M={Shortlist}");
}
