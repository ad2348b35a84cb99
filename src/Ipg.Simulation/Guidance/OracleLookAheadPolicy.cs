using Ipg.Policies;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// IPG with a perfect look-ahead: r = p̂·g where p̂ still comes from the encoder (SASRec: sigmoid(ê_u·ê_i)),
/// but g is the simulator's <b>true</b> one-round gain of preference for the target if the user clicked i,
/// pref(u, j | click on i) − pref(u, j) (<see cref="OracleLookAheadGuidance"/>), instead of the encoder's linear
/// (or exact) guess. The upper bound on what a better look-ahead can buy IPG. It is <see cref="IpgPolicy"/> over a
/// re-ranker whose guidance model is <see cref="OracleLookAheadGuidance"/>, bound to the run's simulator.
/// </summary>
/// <remarks>
/// <para>Unlike <see cref="OraclePolicy"/>, the click probability is the model's, not the simulator's: only the
/// guiding score is replaced. Must be bound to the run's simulator (<see cref="BindTo"/>), which
/// <see cref="GuidanceRunner"/> does; context user u is simulator user u; item ids are shared.</para>
/// <para>Negative guidance follows <see cref="NegativeGuidancePolicy"/> as in <see cref="IpgReranker"/>: Raw (the
/// paper's argmax of p̂·g, the default here, like <see cref="IpgOptions.Paper"/>) or AccuracyFallback (candidates
/// with g ≤ 0 rank below every positive one, by p̂), applied by the re-ranker. Ties go to the lowest item id.
/// Thread-safe once bound.</para>
/// </remarks>
public sealed class OracleLookAheadPolicy : ISimulatorBoundPolicy
{
    private readonly TopicSimulator? _simulator;

    /// <summary>Creates an unbound policy (bind it with <see cref="BindTo"/>, or let the runner do it).</summary>
    /// <param name="negativeGuidance">What to do with candidates whose true gain is not positive; default Raw, as published.</param>
    /// <param name="name">Display name; default "IPG-OracleLookAhead".</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeGuidance"/> is undefined.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public OracleLookAheadPolicy(NegativeGuidancePolicy negativeGuidance = NegativeGuidancePolicy.Raw, string name = "IPG-OracleLookAhead")
    {
        if (!Enum.IsDefined(negativeGuidance))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeGuidance), negativeGuidance, "Unknown negative-guidance policy.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        NegativeGuidance = negativeGuidance;
        Name = name;
    }

    private OracleLookAheadPolicy(OracleLookAheadPolicy unbound, TopicSimulator simulator)
    {
        NegativeGuidance = unbound.NegativeGuidance;
        Name = unbound.Name;
        _simulator = simulator;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The negative-guidance policy.</summary>
    public NegativeGuidancePolicy NegativeGuidance { get; }

    /// <inheritdoc />
    public PolicyGuidance Guidance => new("oracle-look-ahead (simulator truth; a bound)", NegativeGuidance, 1f);

    /// <inheritdoc />
    public IRecommendationPolicy BindTo(TopicSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        return new OracleLookAheadPolicy(this, simulator);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The policy is not bound to a simulator.</exception>
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var sim = _simulator ?? throw new InvalidOperationException("OracleLookAheadPolicy must be bound to a simulator (BindTo) before use.");
        int users = context.UserCount;
        int k = context.SlateSize;
        int n = sim.ItemCount;
        var encoder = context.Encoder;
        if (users != sim.UserCount || encoder.ItemCount != n)
        {
            throw new ArgumentException($"The context ({users} users, {encoder.ItemCount} items) does not match the simulator ({sim.UserCount}, {n}).", nameof(context));
        }

        if (slates.Length < (long)users * k)
        {
            throw new ArgumentException($"Need {users} users × {k} slate entries, got {slates.Length}.", nameof(slates));
        }

        // The re-ranker's chain with the simulator's true gain as g: one scoring chain, one top-K.
        var reranker = new IpgReranker(encoder, new IpgOptions { Guidance = new OracleLookAheadGuidance(sim), NegativeGuidance = NegativeGuidance, Strength = 1f });
        new IpgPolicy(reranker, Name).Recommend(context, slates, cancellationToken);
    }
}
