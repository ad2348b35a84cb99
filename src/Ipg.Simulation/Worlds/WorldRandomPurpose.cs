namespace Ipg.Simulation.Worlds;

/// <summary>Purposes of the world builder's seeded streams (values 101+, apart from the simulator's own purposes); part of the reproducibility contract.</summary>
internal static class WorldRandomPurpose
{
    /// <summary>Initial item factors of the ALS fit.</summary>
    public const RandomStreams.Purpose FactorInit = (RandomStreams.Purpose)101;

    /// <summary>k-means++ seeding of the topic clusters.</summary>
    public const RandomStreams.Purpose Clustering = (RandomStreams.Purpose)102;

    /// <summary>Random (user, item) pairs of the click calibration (stream 0) and of the report (stream 1).</summary>
    public const RandomStreams.Purpose Calibration = (RandomStreams.Purpose)103;
}
