using System.Text;
using Ipg.Encoders;
using Ipg.Encoders.Managed;
using Ipg.Tests.Encoders;
using Ipg.Tests.Shared;
using Xunit.Abstractions;

namespace Ipg.Tests.Reliability;

/// <summary>
/// The hostile-model corpus (docs/reliability.md "Hostile files"): thousands of deterministic mutants of the committed
/// models meet the hand-written protobuf reader and the whole load path with only the documented exceptions, no hang and
/// bounded managed allocation.
/// </summary>
[Collection(SerialReliabilityCollection.Name)]
public class HostileModelTests(ITestOutputHelper output)
{
    /// <summary>The committed models the corpus mutates: both tiny models and one of each pmixer layout the managed kernel reads.</summary>
    public static readonly string[] Models =
    [
        "sasrec-tiny.onnx",
        "sasrec-tiny-v2.onnx",
        "kernel/sasrec-v1-last.onnx",
        "kernel/sasrec-v2-last.onnx",
        "kernel/sasrec-v3-postnorm.onnx",
        "kernel/sasrec-v3-prenorm.onnx",
    ];

    /// <summary>The managed allocation bound of one load (<see cref="HostileCorpus.AllocationBound"/>).</summary>
    internal static long AllocationBound(Mutant mutant) => HostileCorpus.AllocationBound(mutant);

    private static readonly Type[] s_documented = [typeof(InvalidDataException), typeof(NotSupportedException)];

    private static string PathOf(string model) => OnnxFixtures.FullPath(Path.Combine("Fixtures", model));

    [Fact]
    public void Mutants_of_the_committed_models_meet_the_managed_reader_with_documented_exceptions_only()
    {
        var corpus = new HostileCorpus();
        for (var m = 0; m < Models.Length; m++)
        {
            var bytes = File.ReadAllBytes(PathOf(Models[m]));
            var metadata = ManagedModelRead.MetadataOf(PathOf(Models[m]));

            corpus.Run(Mutator.Create(bytes, 2_000, seed: 1000 + m, protobuf: true), data => ManagedModelRead.Run(data, metadata), s_documented, AllocationBound);
        }

        output.WriteLine(corpus.Report("managed reader"));
        corpus.Count.Should().BeGreaterThanOrEqualTo(12_000);
        corpus.Failures.Should().BeEmpty();
        (corpus.Count - corpus.Loaded).Should().BeGreaterThan(corpus.Count / 4, "most mutants break the structure, so most must be refused");
    }

    [Fact]
    public void Mutants_loaded_through_onnx_runtime_and_the_contract_give_documented_exceptions_only()
    {
        var corpus = new HostileCorpus();
        var options = new OnnxSasRecEncoderOptions { Kernel = SasRecKernel.Managed };
        string[] models = ["sasrec-tiny.onnx", "kernel/sasrec-v3-prenorm.onnx"];
        int[] history = [1, 2, 3];
        for (var m = 0; m < models.Length; m++)
        {
            var bytes = File.ReadAllBytes(PathOf(models[m]));
            corpus.Run(
                Mutator.Create(bytes, 500, seed: 2000 + m, protobuf: true),
                data =>
                {
                    using var encoder = OnnxSasRecEncoder.Load(data, options);
                    var user = new float[encoder.Dimension];
                    encoder.Encode(history, user);
                },
                s_documented,
                AllocationBound);
        }

        output.WriteLine(corpus.Report("ONNX Runtime + contract + managed kernel check"));
        corpus.Count.Should().BeGreaterThanOrEqualTo(1_000);
        corpus.Failures.Should().BeEmpty();
    }

    [Fact]
    public void Mutants_of_the_default_and_irn_models_loaded_from_files_give_documented_exceptions_only()
    {
        // The two large committed models (about 1 MB each), loaded by path as a service does: fewer mutants, since each
        // load builds an ONNX Runtime session.
        var folder = Directory.CreateTempSubdirectory("ipg-hostile-");
        try
        {
            var file = Path.Combine(folder.FullName, "model.onnx");
            var corpus = new HostileCorpus();
            void FromFile(byte[] data, Action<string> load)
            {
                File.WriteAllBytes(file, data);
                load(file);
            }

            var sasrec = File.ReadAllBytes(PathOf("default/sasrec-default.onnx"));
            corpus.Run(Mutator.Create(sasrec, 150, seed: 3000, protobuf: true), data => FromFile(data, p => OnnxSasRecEncoder.Load(p).Dispose()), s_documented, AllocationBound);
            var irn = File.ReadAllBytes(PathOf("irn-paper.onnx"));
            corpus.Run(Mutator.Create(irn, 150, seed: 3001, protobuf: true), data => FromFile(data, p => OnnxIrnModel.Load(p, 1).Dispose()), [typeof(InvalidDataException)], AllocationBound);

            output.WriteLine(corpus.Report("default SASRec and IRN models, by path"));
            corpus.Count.Should().BeGreaterThanOrEqualTo(300);
            corpus.Failures.Should().BeEmpty();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(5_000)]
    public void Deeply_nested_subgraphs_are_refused_without_a_stack_overflow(int depth)
    {
        var model = NestedModel(depth);
        var corpus = new HostileCorpus();
        var metadata = ManagedModelRead.MetadataOf(PathOf("sasrec-tiny.onnx"));
        var mutant = new Mutant("deep nesting", $"{depth} levels", model);
        corpus.Run([mutant], data => ManagedModelRead.Run(data, metadata), s_documented, AllocationBound);
        corpus.Run([mutant], data => OnnxSasRecEncoder.Load(data).Dispose(), [typeof(InvalidDataException)], AllocationBound);
        output.WriteLine(corpus.Report($"nesting {depth}"));

        corpus.Failures.Should().BeEmpty();
        corpus.Loaded.Should().Be(0);
        if (depth > OnnxProtoReader.MaxScanDepth)
        {
            OnnxProtoReader.FindExternalData(model).Should().Contain("nested deeper");
        }
    }

    [Theory]
    [InlineData(4L, 1L << 62)]
    [InlineData(1L << 32, 1L << 32)]
    [InlineData(-1L, 4L)]
    public void A_tensor_shape_whose_size_overflows_is_refused_not_wrapped(long rows, long columns)
    {
        // Found by reading the reader after the fuzz finding: 4 × 2⁶² wrapped to 0 elements and passed the size check.
        byte[] tensor = [.. Mutator.Varint(1 << 3), .. Mutator.Varint((ulong)rows), .. Mutator.Varint(1 << 3), .. Mutator.Varint((ulong)columns), .. Mutator.Varint(2 << 3), 1, .. Mutator.LengthDelimited(8, "w"u8)];
        byte[] model = [.. Mutator.Varint(1 << 3), 8, .. Mutator.LengthDelimited(7, Mutator.LengthDelimited(5, tensor))];

        FluentActions.Invoking(() => OnnxProtoReader.ReadModel(model)).Should().Throw<InvalidDataException>().WithMessage("*'w' has an invalid shape*");
    }

    /// <summary>Inputs the fuzzer (bench/Ipg.Fuzz) found crashing the reader, kept after the fix as a regression corpus.</summary>
    public static TheoryData<string> FuzzFindings() => [.. Directory.GetFiles(Path.Combine(OnnxFixtures.Folder, "fuzz"), "*.onnx").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(FuzzFindings))]
    public void Inputs_the_fuzzer_found_are_refused_with_documented_exceptions(string file)
    {
        var metadata = ManagedModelRead.MetadataOf(PathOf("sasrec-tiny.onnx"));
        var corpus = new HostileCorpus();
        corpus.Run([new Mutant("fuzz finding", file, File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "fuzz", file)))], data => ManagedModelRead.Run(data, metadata), s_documented, AllocationBound);
        corpus.Failures.Should().BeEmpty();
        corpus.Loaded.Should().Be(0);
    }

    [Fact]
    public void Finding_a_name_that_is_not_utf8_is_refused_but_still_scanned_for_external_data()
    {
        // F10, found by holding the reader to Google.Protobuf: invalid UTF-8 was decoded to U+FFFD, so two names that
        // differ only in invalid bytes read as one.
        var bytes = File.ReadAllBytes(PathOf("sasrec-tiny.onnx"));
        var at = bytes.AsSpan().IndexOf("MatMul"u8);
        at.Should().BePositive();
        bytes[at + 1] = 0xFF;
        FluentActions.Invoking(() => OnnxProtoReader.ReadModel(bytes)).Should().Throw<InvalidDataException>().WithMessage("*not valid protobuf (a string that is not UTF-8)*");

        // The external-data scan reads tensor names leniently: ONNX Runtime does not check UTF-8 and would load the file.
        var external = File.ReadAllBytes(PathOf("external/mini-external-local.onnx"));
        var before = OnnxProtoReader.FindExternalData(external);
        before.Should().StartWith("tensor '");
        var name = before!.Split('\'')[1];
        var nameBytes = Encoding.UTF8.GetBytes(name);
        int nameAt, changed = 0;
        while ((nameAt = external.AsSpan().IndexOf(nameBytes)) >= 0)
        {
            external[nameAt] = 0xFF;   // every use of the name: the node's input and the tensor itself
            changed++;
        }

        changed.Should().BePositive();
        OnnxProtoReader.FindExternalData(external).Should().StartWith("tensor '\uFFFD");
    }

    [Fact]
    public void Finding_a_metadata_key_holding_a_nul_byte_is_an_invalid_model_not_a_null_reference()
    {
        // The corpus found it: ONNX Runtime's .NET wrapper threw NullReferenceException reading such a key.
        var bytes = File.ReadAllBytes(PathOf("sasrec-tiny.onnx"));
        var key = Encoding.UTF8.GetBytes("ipg.producer");
        var at = bytes.AsSpan().IndexOf(key);
        at.Should().BePositive();
        bytes[at + 3] = 0;

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(bytes))
            .Should().Throw<InvalidDataException>().WithMessage("*corrupt*cannot read its metadata*");
    }

    [Fact]
    public void Finding_a_node_with_too_few_inputs_is_not_recognised_rather_than_read_past_its_end()
    {
        // The corpus found it: a MatMul whose weight input was lost made the graph reader index past Inputs.
        var metadata = ManagedModelRead.MetadataOf(PathOf("sasrec-tiny.onnx"));
        var model = OnnxProtoReader.ReadModel(File.ReadAllBytes(PathOf("sasrec-tiny.onnx")));
        var matmul = model.Nodes.FindIndex(n => n.OpType == "MatMul");
        var broken = model.Nodes[matmul];
        model.Nodes[matmul] = new OnnxNode("MatMul", broken.Domain, broken.Inputs[..1], broken.Outputs, broken.Attributes);

        FluentActions.Invoking(() => SasRecGraphReader.Read(model, metadata))
            .Should().Throw<NotSupportedException>().WithMessage("*has 1 inputs and 1 outputs, too few for MatMul*");
    }

    /// <summary>
    /// A ModelProto whose graph holds an <c>If</c> node whose attribute holds a graph with an <c>If</c> node …,
    /// <paramref name="depth"/> levels deep. Built inside out.
    /// </summary>
    private static byte[] NestedModel(int depth)
    {
        byte[] graph = [];
        var name = Encoding.UTF8.GetBytes("then_branch");
        var op = Encoding.UTF8.GetBytes("If");
        using var buffer = new MemoryStream();
        for (var level = 0; level < depth; level++)
        {
            // AttributeProto { name = 1, g = 6, type = 20 (GRAPH = 5) }; NodeProto { op_type = 4, attribute = 5 }; GraphProto { node = 1 }.
            byte[] attribute = [.. Mutator.LengthDelimited(1, name), .. Mutator.LengthDelimited(6, graph), .. Mutator.Varint(20 << 3), 5];
            byte[] node = [.. Mutator.LengthDelimited(4, op), .. Mutator.LengthDelimited(5, attribute)];
            graph = Mutator.LengthDelimited(1, node);
        }

        // ModelProto { ir_version = 1 (8), opset_import = 8 { version = 2 (17) }, graph = 7 }.
        return [.. Mutator.Varint(1 << 3), 8, .. Mutator.LengthDelimited(8, [.. Mutator.Varint(2 << 3), 17]), .. Mutator.LengthDelimited(7, graph)];
    }
}
