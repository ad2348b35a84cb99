// An MSBuild task (compiled by RoslynCodeTaskFactory, see src/Directory.Build.targets) that leaves in a project's
// XML documentation file only the members a consumer of the package can see: public and protected members of
// public types. The C# compiler writes every documented member, internal and private ones included; those are
// implementation notes, not API docs, and they should not ship in a package.
//
// Visibility is read from the compiled assembly's metadata (System.Reflection.Metadata) and each visible member's
// documentation comment id ("T:", "M:", "P:", "F:", "E:") is built the way the compiler builds it, so an entry is
// kept exactly when its id names a visible member. The rewrite is idempotent and writes only when it changes the file.
#nullable enable
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PublicXmlDocs : Task
{
    /// <summary>The compiled assembly whose metadata says what is visible.</summary>
    [Required]
    public string AssemblyPath { get; set; } = "";

    /// <summary>The XML documentation file the compiler wrote; rewritten in place.</summary>
    [Required]
    public string DocumentationFile { get; set; } = "";

    public override bool Execute()
    {
        if (!File.Exists(AssemblyPath) || !File.Exists(DocumentationFile))
        {
            Log.LogError("PublicXmlDocs: '{0}' or '{1}' does not exist.", AssemblyPath, DocumentationFile);
            return false;
        }

        HashSet<string> visible;
        using (var stream = File.OpenRead(AssemblyPath))
        using (var pe = new PEReader(stream))
        {
            visible = VisibleIds(pe.GetMetadataReader());
        }

        var original = File.ReadAllText(DocumentationFile);
        var doc = XDocument.Parse(original, LoadOptions.PreserveWhitespace);
        var members = doc.Root?.Element("members");
        if (members == null)
        {
            return true;
        }

        var removed = new List<string>();
        foreach (var member in members.Elements("member").ToList())
        {
            var id = (string?)member.Attribute("name") ?? "";
            if (!visible.Contains(id))
            {
                removed.Add(id);
                // Drop the whitespace before the element too, so the file keeps one member per line.
                if (member.PreviousNode is XText text && string.IsNullOrWhiteSpace(text.Value))
                {
                    text.Remove();
                }

                member.Remove();
            }
        }

        if (removed.Count > 0)
        {
            var rewritten = doc.Declaration + Environment.NewLine + doc.Root!.ToString(SaveOptions.DisableFormatting) + Environment.NewLine;
            if (rewritten != original)
            {
                File.WriteAllText(DocumentationFile, rewritten, new UTF8Encoding(false));
            }
        }

        Log.LogMessage(MessageImportance.Low, "PublicXmlDocs: {0}: removed {1} non-public entries.", Path.GetFileName(DocumentationFile), removed.Count);
        return !Log.HasLoggedErrors;
    }

    private static HashSet<string> VisibleIds(MetadataReader md)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var provider = new DocIdTypeProvider(md);
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if (!IsVisible(md, type))
            {
                continue;
            }

            var typeName = provider.DefinitionName(handle);
            ids.Add("T:" + typeName);

            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                if (IsVisible(method.Attributes))
                {
                    ids.Add("M:" + typeName + "." + MethodId(md, provider, method));
                }
            }

            foreach (var fieldHandle in type.GetFields())
            {
                var field = md.GetFieldDefinition(fieldHandle);
                var access = field.Attributes & FieldAttributes.FieldAccessMask;
                if (access == FieldAttributes.Public || access == FieldAttributes.Family || access == FieldAttributes.FamORAssem)
                {
                    ids.Add("F:" + typeName + "." + md.GetString(field.Name));
                }
            }

            foreach (var propertyHandle in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(propertyHandle);
                var accessors = property.GetAccessors();
                if (!IsVisibleAccessor(md, accessors.Getter) && !IsVisibleAccessor(md, accessors.Setter))
                {
                    continue;
                }

                var signature = property.DecodeSignature(provider, null);
                var parameters = signature.ParameterTypes.Length == 0 ? "" : "(" + string.Join(",", signature.ParameterTypes) + ")";
                ids.Add("P:" + typeName + "." + Escape(md.GetString(property.Name)) + parameters);
            }

            foreach (var eventHandle in type.GetEvents())
            {
                var ev = md.GetEventDefinition(eventHandle);
                if (IsVisibleAccessor(md, ev.GetAccessors().Adder))
                {
                    ids.Add("E:" + typeName + "." + Escape(md.GetString(ev.Name)));
                }
            }
        }

        return ids;
    }

    private static string MethodId(MetadataReader md, DocIdTypeProvider provider, MethodDefinition method)
    {
        var name = Escape(md.GetString(method.Name));
        var signature = method.DecodeSignature(provider, null);
        var builder = new StringBuilder(name);
        if (signature.GenericParameterCount > 0)
        {
            builder.Append("``").Append(signature.GenericParameterCount);
        }

        if (signature.ParameterTypes.Length > 0)
        {
            builder.Append('(').Append(string.Join(",", signature.ParameterTypes)).Append(')');
        }

        if (name == "op_Implicit" || name == "op_Explicit")
        {
            builder.Append('~').Append(signature.ReturnType);
        }

        return builder.ToString();
    }

    // ".ctor" -> "#ctor"; an explicit implementation's dotted name keeps its parts apart with '#'.
    private static string Escape(string name) => name.Replace('.', '#');

    private static bool IsVisible(MethodAttributes attributes)
    {
        var access = attributes & MethodAttributes.MemberAccessMask;
        return access == MethodAttributes.Public || access == MethodAttributes.Family || access == MethodAttributes.FamORAssem;
    }

    private static bool IsVisibleAccessor(MetadataReader md, MethodDefinitionHandle handle) =>
        !handle.IsNil && IsVisible(md.GetMethodDefinition(handle).Attributes);

    private static bool IsVisible(MetadataReader md, TypeDefinition type)
    {
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility == TypeAttributes.Public)
        {
            return true;
        }

        if (visibility == TypeAttributes.NestedPublic || visibility == TypeAttributes.NestedFamily || visibility == TypeAttributes.NestedFamORAssem)
        {
            return IsVisible(md, md.GetTypeDefinition(type.GetDeclaringType()));
        }

        return false;
    }

    /// <summary>Spells signature types the way documentation comment ids do.</summary>
    private sealed class DocIdTypeProvider(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public string DefinitionName(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            var name = md.GetString(type.Name);
            var declaring = type.GetDeclaringType();
            if (!declaring.IsNil)
            {
                return DefinitionName(declaring) + "." + name;
            }

            var ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private string ReferenceName(TypeReferenceHandle handle)
        {
            var type = md.GetTypeReference(handle);
            var name = md.GetString(type.Name);
            if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                return ReferenceName((TypeReferenceHandle)type.ResolutionScope) + "." + name;
            }

            var ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => DefinitionName(handle);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => ReferenceName(handle);

        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
        {
            PrimitiveTypeCode.IntPtr => "IntPtr",
            PrimitiveTypeCode.UIntPtr => "UIntPtr",
            _ => typeCode.ToString(),
        };

        // "System.Collections.Generic.Dictionary`2" with [A, B] -> "System.Collections.Generic.Dictionary{A,B}";
        // a nested generic type takes its outer types' arguments first.
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
        {
            var builder = new StringBuilder();
            var next = 0;
            foreach (var segment in genericType.Split('.'))
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }

                var tick = segment.IndexOf('`');
                if (tick < 0)
                {
                    builder.Append(segment);
                    continue;
                }

                var arity = int.Parse(segment.Substring(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
                builder.Append(segment, 0, tick).Append('{').Append(string.Join(",", typeArguments.Skip(next).Take(arity))).Append('}');
                next += arity;
            }

            return builder.ToString();
        }

        public string GetArrayType(string elementType, ArrayShape shape) =>
            elementType + "[" + string.Join(",", Enumerable.Range(0, shape.Rank).Select(i =>
                (i < shape.LowerBounds.Length ? shape.LowerBounds[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : "0") + ":" +
                (i < shape.Sizes.Length ? shape.Sizes[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : ""))) + "]";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetByReferenceType(string elementType) => elementType + "@";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetGenericTypeParameter(object? genericContext, int index) => "`" + index;

        public string GetGenericMethodParameter(object? genericContext, int index) => "``" + index;

        // Custom modifiers (e.g. the InAttribute of an 'in' parameter) are not part of a C# documentation id.
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetPinnedType(string elementType) => elementType;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "=FUNC:" + signature.ReturnType;
    }
}
