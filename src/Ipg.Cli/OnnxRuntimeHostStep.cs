using System.Runtime.InteropServices;

namespace Ipg.Cli;

/// <summary>
/// The host step that keeps ONNX Runtime's 1DS telemetry client (Linux builds) from starting: <c>ORT_DISABLE_TELEMETRY=1</c>
/// in the native environment before ONNX Runtime starts. The library never does this (a library must not change the
/// process environment under its host's other threads); an application may, once, first thing in <c>Main</c>. A service
/// sets the variable in its deployment instead (container <c>ENV</c>, systemd <c>Environment=</c>).
/// </summary>
internal static class OnnxRuntimeHostStep
{
    internal const string Variable = "ORT_DISABLE_TELEMETRY";

    /// <summary>Sets the variable unless the user's environment already has it (their value wins). Linux with glibc only.</summary>
    public static void DisableTelemetryUploads()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null)
        {
            return;
        }

        try
        {
            // .NET's Environment.SetEnvironmentVariable does not reach the native environment on Unix.
            _ = SetEnv(Variable, "1", overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): set the variable in the shell instead.
        }
    }

    [DllImport("libc.so.6", EntryPoint = "setenv", BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
