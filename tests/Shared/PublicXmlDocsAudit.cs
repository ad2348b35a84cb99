using System.Reflection;
using System.Xml.Linq;

namespace Ipg.Tests.Shared;

/// <summary>
/// Checks a shipped XML documentation file (the one beside the assembly, as a package carries it) against the
/// assembly through reflection, independently of the build task that filters it (src/build/PublicXmlDocs.cs):
/// every entry names a member a consumer can see, and every visible type and property is documented.
/// </summary>
internal static class PublicXmlDocsAudit
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>The problems found: entries for members a consumer cannot see, and visible types or properties with no entry.</summary>
    public static List<string> Problems(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return [$"no documentation file beside {assembly.Location}"];
        }

        var ids = XDocument.Load(path).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
        var types = assembly.GetTypes().ToDictionary(DocName, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var id in ids)
        {
            var kind = id[0];
            var name = id[2..];
            var parameters = name.IndexOf('(', StringComparison.Ordinal);
            var withoutParameters = parameters < 0 ? name : name[..parameters];
            if (kind == 'T')
            {
                if (!types.TryGetValue(name, out var type) || !type.IsVisible)
                {
                    problems.Add($"{id}: not a visible type");
                }

                continue;
            }

            var dot = withoutParameters.LastIndexOf('.');
            if (!types.TryGetValue(withoutParameters[..dot], out var owner) || !owner.IsVisible)
            {
                problems.Add($"{id}: its type is not visible");
                continue;
            }

            var memberName = withoutParameters[(dot + 1)..].Replace('#', '.');
            var generic = memberName.IndexOf("``", StringComparison.Ordinal);
            if (generic >= 0)
            {
                memberName = memberName[..generic];
            }

            if (!owner.GetMember(memberName, Declared).Any(IsVisible))
            {
                problems.Add($"{id}: no visible member of that name");
            }
        }

        foreach (var (name, type) in types)
        {
            if (!type.IsVisible || type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            {
                continue;
            }

            if (!ids.Contains("T:" + name))
            {
                problems.Add($"T:{name}: visible type without documentation");
            }

            foreach (var property in type.GetProperties(Declared).Where(p => IsVisible(p) && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            {
                if (!ids.Contains($"P:{name}.{property.Name}"))
                {
                    problems.Add($"P:{name}.{property.Name}: visible property without documentation");
                }
            }
        }

        return problems;
    }

    private static string DocName(Type type) => type.FullName!.Replace('+', '.');

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => new[] { p.GetMethod, p.SetMethod }.Any(a => a is not null && IsVisible(a)),
        EventInfo e => e.AddMethod is not null && IsVisible(e.AddMethod),
        Type t => t.IsVisible,
        _ => false,
    };
}
