using Ipg.Cli;

return IpgCommandLine.Invoke(args);
