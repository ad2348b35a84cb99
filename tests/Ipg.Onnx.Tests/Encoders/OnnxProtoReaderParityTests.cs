using FluentAssertions;
using Google.Protobuf;
using Ipg.Encoders;
using Ipg.Encoders.Managed;
using Ipg.Tests.Shared;
using Ipg.Tests.Shared.OnnxSchema;
using Xunit;
using Xunit.Abstractions;

namespace Ipg.Tests.Encoders;

/// <summary>
/// The managed kernel's hand-written model reader (<see cref="OnnxProtoReader"/>) against a maintained parser:
/// Google.Protobuf with the ONNX schema (<see cref="OnnxSchemaReader"/>). On every committed model and on thousands
/// of protobuf-aware mutants, the two read the same graph and tensors, find the same external data, and refuse the
/// same files — or the difference is one listed here with its reason.
/// </summary>
public class OnnxProtoReaderParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> CommittedModels()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(OnnxFixtures.Folder, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(OnnxFixtures.Folder, path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommittedModels))]
    public void Every_committed_model_reads_the_same_with_both_parsers(string model)
    {
        var bytes = File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, model));
        if (model.StartsWith("fuzz", StringComparison.Ordinal))
        {
            // The fuzzer's findings are not protobuf Google.Protobuf accepts (one holds a string that is not UTF-8);
            // the hand-written reader refuses them too.
            FluentActions.Invoking(() => OnnxSchemaReader.Parse(bytes)).Should().Throw<InvalidProtocolBufferException>();
            FluentActions.Invoking(() => OnnxProtoReader.ReadModel(bytes)).Should().Throw<InvalidDataException>();
            return;
        }

        var parsed = OnnxSchemaReader.Parse(bytes);

        OnnxProtoReader.FindExternalData(bytes).Should().Be(OnnxSchemaReader.FindExternalData(parsed));
        var ours = Outcome(() => Describe(OnnxProtoReader.ReadModel(bytes)));
        var reference = Outcome(() => Describe(OnnxSchemaReader.ToModel(parsed)));
        ours.Should().Be(reference, Difference(ours, reference));
        if (!model.StartsWith("external", StringComparison.Ordinal))
        {
            ours.Should().NotStartWith("threw", "a committed model outside Fixtures/external reads");
        }
    }

    [Fact]
    public void Mutants_read_the_same_with_both_parsers_or_both_are_refused()
    {
        int compared = 0, bothRefused = 0, invalidUtf8Skipped = 0, refusedAtLoad = 0;
        var mismatches = new List<string>();
        foreach (var name in Ipg.Tests.Reliability.HostileModelTests.Models)
        {
            var original = File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, name));
            foreach (var mutant in Mutator.Create(original, 400, seed: 7100 + compared, protobuf: true))
            {
                compared++;
                ModelProto? parsed = null;
                string reference;
                try
                {
                    parsed = OnnxSchemaReader.Parse(mutant.Bytes);
                    reference = Outcome(() => Describe(OnnxSchemaReader.ToModel(parsed)));
                }
                catch (InvalidProtocolBufferException e)
                {
                    reference = $"threw InvalidProtocolBufferException: {e.Message}";
                }

                var ours = Outcome(() => Describe(OnnxProtoReader.ReadModel(mutant.Bytes)));
                if (ours.StartsWith("threw", StringComparison.Ordinal) && reference.StartsWith("threw", StringComparison.Ordinal))
                {
                    bothRefused++;
                    continue;
                }

                // The one difference by design: Google.Protobuf refuses invalid UTF-8 in any string field, the
                // hand-written reader only in the fields it reads (names, op types, domains; it refuses those too) and
                // skips the rest (doc strings, metadata), as ONNX Runtime's own parser accepts them.
                if (reference.Contains("String is invalid UTF-8", StringComparison.Ordinal) && !ours.StartsWith("threw", StringComparison.Ordinal))
                {
                    invalidUtf8Skipped++;
                    continue;
                }

                // Corruption inside a message the hand-written reader skips whole (metadata, doc strings, value
                // types) is not looked at by it; ONNX Runtime parses the whole file when the encoder loads, and must
                // refuse it there.
                if (reference.StartsWith("threw", StringComparison.Ordinal) && !ours.StartsWith("threw", StringComparison.Ordinal))
                {
                    try
                    {
                        OnnxSasRecEncoder.Load(mutant.Bytes).Dispose();
                        mismatches.Add($"{name} {mutant}: loaded, although Google.Protobuf refuses it ({reference})");
                    }
                    catch (Exception e) when (e is InvalidDataException or NotSupportedException)
                    {
                        refusedAtLoad++;
                    }

                    continue;
                }

                if (ours != reference)
                {
                    mismatches.Add($"{name} {mutant}: {Difference(ours, reference)}");
                }
                else if (parsed is not null && OnnxProtoReader.FindExternalData(mutant.Bytes) != OnnxSchemaReader.FindExternalData(parsed))
                {
                    mismatches.Add($"{name} {mutant}: external-data scans differ");
                }
            }
        }

        output.WriteLine($"{compared} mutants: {compared - bothRefused - invalidUtf8Skipped - refusedAtLoad - mismatches.Count} read identically, {bothRefused} refused by both, "
            + $"{invalidUtf8Skipped} with invalid UTF-8 in a field the kernel skips, {refusedAtLoad} corrupt only in a skipped message (refused by ONNX Runtime at load), {mismatches.Count} differ");
        foreach (var m in mismatches.Take(20))
        {
            output.WriteLine(m);
        }

        compared.Should().BeGreaterThanOrEqualTo(2_000);
        mismatches.Should().BeEmpty();
    }

    /// <summary>The two outcomes side by side: what each threw, or the first line where the two readings differ.</summary>
    private static string Difference(string ours, string reference)
    {
        if (ours.StartsWith("threw", StringComparison.Ordinal) || reference.StartsWith("threw", StringComparison.Ordinal))
        {
            return $"ours {(ours.StartsWith("threw", StringComparison.Ordinal) ? ours : "read")} / schema {(reference.StartsWith("threw", StringComparison.Ordinal) ? reference : "read")}";
        }

        var a = ours.Split('\n');
        var b = reference.Split('\n');
        var i = 0;
        while (i < Math.Min(a.Length, b.Length) && a[i] == b[i])
        {
            i++;
        }

        return $"line {i}: ours '{(i < a.Length ? a[i] : "")}' / schema '{(i < b.Length ? b[i] : "")}'";
    }

    private static string Outcome(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return $"threw {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>A canonical text of everything the kernel reads from a model: nodes with attributes, tensors with their values, inputs and outputs.</summary>
    private static string Describe(OnnxModelProto model)
    {
        var text = new System.Text.StringBuilder();
        foreach (var node in model.Nodes)
        {
            text.Append(node).Append(" @").Append(node.Domain);
            foreach (var (key, a) in node.Attributes.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append(" [").Append(key).Append(": ").Append(a.Float?.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(' ').Append(a.Int).Append(' ').Append(string.Join(',', a.Ints)).Append(' ').Append(a.Tensor is null ? "" : Tensor(a.Tensor)).Append(']');
            }

            text.Append('\n');
        }

        foreach (var (key, t) in model.Initializers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append(" = ").Append(Tensor(t)).Append('\n');
        }

        text.Append("in ").AppendJoin(',', model.Inputs).Append(" out ").AppendJoin(',', model.Outputs);
        return text.ToString();

        static string Tensor(OnnxTensor t)
        {
            // Values by bit pattern, so NaN payloads and -0 count.
            var hash = new HashCode();
            foreach (var f in t.Floats ?? [])
            {
                hash.Add(BitConverter.SingleToInt32Bits(f));
            }

            foreach (var l in t.Longs ?? [])
            {
                hash.Add(l);
            }

            return $"{t.Name}:{t.DataType}[{string.Join(',', t.Dims)}] {t.Floats?.Length}/{t.Longs?.Length} #{hash.ToHashCode()}";
        }
    }
}
