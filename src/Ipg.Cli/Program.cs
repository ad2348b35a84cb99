using Ipg.Cli;

// The ipg tool is its own host: it keeps ONNX Runtime's telemetry upload client out of its process (the host step of
// docs/reliability.md, "Telemetry: a host step"), as its first statement, before ONNX Runtime is loaded.
OnnxRuntimeHostStep.DisableTelemetryUploads();
return IpgCommandLine.Invoke(args);
