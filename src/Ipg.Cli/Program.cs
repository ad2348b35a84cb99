using Ipg.Cli;

return IpgCommandLine.CreateRootCommand().Parse(args).Invoke();
