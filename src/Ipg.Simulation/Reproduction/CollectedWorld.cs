namespace Ipg.Simulation.Reproduction;

/// <summary>The outcome of log collection: the end state guidance starts from, and the training log.</summary>
/// <param name="EndState">The simulator state at the end of collection (all users).</param>
/// <param name="Collection">The collected interactions and counts.</param>
/// <param name="LogSha256">SHA-256 (lowercase hex) of the log file's bytes as <see cref="InteractionLogFormat"/> writes them; the default model stores the hash of the log it was trained on.</param>
public sealed record CollectedWorld(TopicSimulator EndState, LogCollectionResult Collection, string LogSha256);
