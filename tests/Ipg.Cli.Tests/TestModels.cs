namespace Ipg.Cli.Tests;

/// <summary>The ONNX fixtures of tests/Ipg.Onnx.Tests/Fixtures, found from the test's output folder.</summary>
internal static class TestModels
{
    /// <summary>The path of a fixture, e.g. <c>Fixture("sasrec-tiny.onnx")</c> or <c>Fixture("broken", "mini.onnx")</c>.</summary>
    public static string Fixture(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipg.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine([dir!.FullName, "tests", "Ipg.Onnx.Tests", "Fixtures", .. parts]);
    }
}
