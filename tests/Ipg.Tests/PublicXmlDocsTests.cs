using System.Reflection;
using FluentAssertions;
using Ipg.Encoders;
using Ipg.Simulation;
using Ipg.Tests.Shared;
using Xunit;

namespace Ipg.Tests;

/// <summary>
/// The XML documentation the packages ship holds the public API only (src/Directory.Build.targets filters what the
/// compiler writes): no internal or private member, and every visible type and property documented.
/// </summary>
public class PublicXmlDocsTests
{
    public static TheoryData<string> Assemblies => ["Ipg", "Ipg.Onnx", "Ipg.Simulation"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void DocumentationFileHoldsThePublicApiOnly(string name)
    {
        var assembly = name switch
        {
            "Ipg" => typeof(IpgReranker).Assembly,
            "Ipg.Onnx" => typeof(OnnxSasRecEncoder).Assembly,
            _ => typeof(TopicSimulator).Assembly,
        };

        PublicXmlDocsAudit.Problems(assembly).Should().BeEmpty();
    }

    [Fact]
    public void AuditSeesAnInternalEntry()
    {
        // The audit itself must catch what the filter exists to remove: a documentation file with an entry for an
        // internal type (Ipg.TopKSelector) is reported.
        var source = typeof(IpgReranker).Assembly;
        var dir = Directory.CreateTempSubdirectory("ipg-xmldocs-");
        try
        {
            var copy = Path.Combine(dir.FullName, "Ipg.dll");
            File.Copy(source.Location, copy);
            var xml = File.ReadAllText(Path.ChangeExtension(source.Location, ".xml"))
                .Replace("<members>", "<members><member name=\"T:Ipg.TopKSelector\"><summary>x</summary></member>", StringComparison.Ordinal);
            File.WriteAllText(Path.ChangeExtension(copy, ".xml"), xml);
            var context = new System.Runtime.Loader.AssemblyLoadContext("xmldocs-audit", isCollectible: true);
            try
            {
                var loaded = context.LoadFromAssemblyPath(copy);
                PublicXmlDocsAudit.Problems(loaded).Should().ContainSingle().Which.Should().StartWith("T:Ipg.TopKSelector");
            }
            finally
            {
                context.Unload();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
