namespace Ipg.Simulation.Analysis;

/// <summary>Settings of <see cref="LookAheadFitter.Fit"/>.</summary>
public sealed record LookAheadFitOptions
{
    /// <summary>Users sampled (fit and held-out together; users with fewer than 2 logged items are skipped). Default 2,000.</summary>
    public int Users { get; init; } = 2000;

    /// <summary>Share of the sampled users held out for validation, in <c>(0, 1)</c>. Default 0.2.</summary>
    public double HeldOutShare { get; init; } = 0.2;

    /// <summary>
    /// Candidate moves per history: the top-C unseen items by the encoder's logit, the moves the look-ahead scores
    /// (docs/linear-assumption.md fits the same way). Default 20.
    /// </summary>
    public int Candidates { get; init; } = 20;

    /// <summary>Impressions sampled for the acceptance calibration (fit and held-out together). Default 50,000.</summary>
    public int Impressions { get; init; } = 50_000;

    /// <summary>Seed of the user split and of the samples.</summary>
    public int Seed { get; init; } = 2024;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; <c>ParamName</c> names it.</exception>
    public void Validate()
    {
        if (Users < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Users), Users, "At least 2 users are needed (one to fit, one to hold out).");
        }

        if (!(HeldOutShare > 0 && HeldOutShare < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(HeldOutShare), HeldOutShare, "The held-out share must be in (0, 1).");
        }

        if (Candidates < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, "At least one candidate per history is needed.");
        }

        if (Impressions < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Impressions), Impressions, "At least 2 impressions are needed.");
        }
    }
}
