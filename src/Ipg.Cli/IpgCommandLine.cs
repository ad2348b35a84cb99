using System.CommandLine;
using Ipg.Cli.Commands;

namespace Ipg.Cli;

/// <summary>Builds the <c>ipg</c> command tree. Each command lives in its own class under Commands/.</summary>
internal static class IpgCommandLine
{
    /// <summary>The root command with every subcommand registered.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("ipg: Iterative Preference Guidance (Bi et al., WWW 2024): simulator, experiments, sweeps.");
        root.Subcommands.Add(CollectLogCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(WorldCommand.Create());
        return root;
    }
}
