namespace Ipg.Tests.Encoders;

/// <summary>
/// A fact that runs only when <see cref="OnnxFixtures.ExternalVariable"/> names a folder holding
/// <c>pmixer-ml1m.onnx</c> and its fixtures (built from ML-1M out of the repository); otherwise it is
/// reported as skipped with the reason, rather than silently passing. xunit 2 has no dynamic skip, so
/// the decision is made when the attribute is read, through <see cref="FactAttribute.Skip"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class OnnxExternalFixturesFactAttribute : FactAttribute
{
    public OnnxExternalFixturesFactAttribute()
    {
        if (OnnxFixtures.ExternalFolder() is null)
        {
            Skip = $"Set {OnnxFixtures.ExternalVariable} to a folder with {OnnxFixtures.ExternalModel} and its .fixtures.json to run the ML-1M parity check.";
        }
    }
}
