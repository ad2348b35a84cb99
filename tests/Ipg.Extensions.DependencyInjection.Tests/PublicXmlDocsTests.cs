using FluentAssertions;
using Ipg.Extensions.DependencyInjection;
using Ipg.Tests.Shared;
using Xunit;

namespace Ipg.Extensions.DependencyInjection.Tests;

/// <summary>The DI package's XML documentation holds its public API only (see Ipg.Tests' PublicXmlDocsTests).</summary>
public class PublicXmlDocsTests
{
    [Fact]
    public void DocumentationFileHoldsThePublicApiOnly() =>
        PublicXmlDocsAudit.Problems(typeof(IpgServiceOptions).Assembly).Should().BeEmpty();
}
