using System.CommandLine;

namespace Ipg.Cli.Commands;

/// <summary><c>ipg analyze</c>: diagnostics of a model, one subcommand each.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var command = new Command("analyze", "Diagnostics of a model: how well IPG's assumptions hold on it.");
        command.Subcommands.Add(LinearityCommand.Create());
        return command;
    }
}
