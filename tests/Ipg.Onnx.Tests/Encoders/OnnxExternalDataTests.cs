using Ipg.Encoders;

namespace Ipg.Tests.Encoders;

/// <summary>
/// External data (ONNX tensors kept in side files): a model may read a file beside it, but not an absolute path and not
/// a path that leaves its folder (docs/reliability.md, security notes). The fixtures are mini.onnx with its item table
/// moved out (Fixtures/external/make_external.py); each test puts the table where the location points, so that a
/// refusal is the location's fault and not a missing file. Runs alone: one test changes the working directory.
/// </summary>
[Collection(Ipg.Tests.Reliability.SerialReliabilityCollection.Name)]
public sealed class OnnxExternalDataTests : IDisposable
{
    private const string AbsoluteFolder = "/tmp/ipg-external-data-test";
    private static readonly string s_folder = Path.Combine(OnnxFixtures.Folder, "external");
    private static readonly int[][] s_histories = [[1], [2, 3], [5, 4, 3, 2, 1], []];
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ipg-external-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_table_beside_the_model_is_read_and_encodes_as_the_embedded_model()
    {
        string model = Place("mini-external-local.onnx", "models", ("mini-table.bin", "models"));
        using var external = OnnxSasRecEncoder.Load(model);
        using var embedded = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));

        foreach (int[] history in s_histories)
        {
            Encode(external, history).Should().Equal(Encode(embedded, history), $"history [{string.Join(", ", history)}]");
        }

        external.ItemEmbeddings.Rows.ToArray().Should().Equal(embedded.ItemEmbeddings.Rows.ToArray());
    }

    [Theory]
    [InlineData("mini-external-parent.onnx", "../mini-table.bin")]
    [InlineData("mini-external-nested.onnx", "sub/../../mini-table.bin")]
    public void A_location_that_leaves_the_model_s_folder_is_refused(string name, string location)
    {
        // The table exists where the location points (the parent of the model's folder), and in the folder itself.
        string model = Place(name, "models", ("mini-table.bin", "."), ("mini-table.bin", "models"));
        Directory.CreateDirectory(Path.Combine(_root.FullName, "models", "sub"));
        File.Exists(Path.GetFullPath(Path.Combine(_root.FullName, "models", location))).Should().BeTrue("the test must refuse by location, not by a missing file");

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(model)).Should().Throw<InvalidDataException>()
            .WithMessage("*could not be loaded by ONNX Runtime*External data path escapes model directory*");
    }

    [Fact]
    public void An_absolute_location_is_refused()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;   // the fixture's location is a Linux path
        }

        string model = Place("mini-external-absolute.onnx", "models", ("mini-table.bin", "models"));
        Directory.CreateDirectory(AbsoluteFolder);
        string table = Path.Combine(AbsoluteFolder, "mini-table.bin");
        File.Copy(Path.Combine(s_folder, "mini-table.bin"), table, overwrite: true);
        try
        {
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(model)).Should().Throw<InvalidDataException>()
                .WithMessage("*could not be loaded by ONNX Runtime*Absolute path not allowed for external data location*");
        }
        finally
        {
            File.Delete(table);
        }
    }

    [Fact]
    public void A_symbolic_link_in_the_folder_that_points_outside_it_is_refused()
    {
        string model = Place("mini-external-local.onnx", "models", ("mini-table.bin", "."));
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "models", "mini-table.bin"), Path.Combine(_root.FullName, "mini-table.bin"));

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(model)).Should().Throw<InvalidDataException>()
            .WithMessage("*External data path escapes model directory*resolved path*");
    }

    [Fact]
    public async Task A_model_loaded_from_bytes_or_a_stream_reads_no_external_file()
    {
        // No folder to resolve against. ONNX Runtime 1.31.1 would read the table from the working directory (this test
        // failed before the check in OnnxSasRecEncoder.LoadBytes): the model is refused before a session is created.
        string model = Place("mini-external-local.onnx", "models", ("mini-table.bin", "models"));
        byte[] bytes = File.ReadAllBytes(model);
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.Combine(_root.FullName, "models");
        try
        {
            const string Message = "*keeps data outside itself: tensor 'table' keeps its data in the external file 'mini-table.bin'*Load(path)*";
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(bytes)).Should().Throw<InvalidDataException>().WithMessage(Message);
            using var stream = new MemoryStream(bytes);
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(stream)).Should().Throw<InvalidDataException>().WithMessage(Message);
            await FluentActions.Awaiting(() => OnnxSasRecEncoder.LoadAsync(new MemoryStream(bytes))).Should().ThrowAsync<InvalidDataException>().WithMessage(Message);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public void The_scan_finds_external_data_wherever_a_tensor_can_be_and_nothing_in_the_committed_models()
    {
        foreach (string model in Directory.GetFiles(OnnxFixtures.Folder, "*.onnx", SearchOption.AllDirectories))
        {
            string? found = Ipg.Encoders.Managed.OnnxProtoReader.FindExternalData(File.ReadAllBytes(model));
            if (Path.GetFileName(Path.GetDirectoryName(model)) == "external")
            {
                found.Should().StartWith("tensor '", model);
            }
            else
            {
                found.Should().BeNull(model);
            }
        }

        byte[] externalTensor = Message((8, "w"u8.ToArray()), (13, Message((1, "location"u8.ToArray()), (2, "x.bin"u8.ToArray()))));
        byte[] flaggedOnly = [.. Message((8, "v"u8.ToArray())), 14 << 3, 1];   // data_location = EXTERNAL without entries
        byte[] Graph(byte[] node) => Message((1, node));
        byte[] Node(params (int, byte[])[] attributes) => Message([.. attributes.Select(a => (5, Message((1, "a"u8.ToArray()), a)))]);
        byte[] Model(byte[] graph) => Message((7, graph));

        byte[] constant = Node((5, externalTensor));
        byte[] inlineTensor = Message((8, "w"u8.ToArray()), (9, new byte[16]));
        Scan(Model(Message((5, externalTensor)))).Should().Be("tensor 'w' keeps its data in the external file 'x.bin'", "an initializer");
        Scan(Model(Message((5, flaggedOnly)))).Should().Be("tensor 'v' keeps its data in the external file '(no location)'");
        Scan(Model(Message((15, Message((1, externalTensor)))))).Should().Contain("'w'", "a sparse initializer's values");
        Scan(Model(Graph(constant))).Should().Contain("'w'", "a Constant node's value");
        Scan(Model(Graph(Node((10, externalTensor))))).Should().Contain("'w'", "a tensors attribute");
        Scan(Model(Graph(Node((6, Graph(constant)))))).Should().Contain("'w'", "a node of an If/Loop body");
        Scan(Message((25, Message((7, constant))))).Should().Contain("'w'", "a function's node");
        Scan(Message((20, Message((2, Message((5, externalTensor))))))).Should().Contain("'w'", "a training graph");
        Scan(Model(Message((5, inlineTensor)))).Should().BeNull("raw data inside the file");

        byte[] deep = Graph(Node((5, externalTensor)));
        for (int i = 0; i < Ipg.Encoders.Managed.OnnxProtoReader.MaxScanDepth + 1; i++)
        {
            deep = Graph(Node((6, deep)));
        }

        Scan(Model(deep)).Should().Contain("nested deeper than 32");
        Scan([0x3A, 0x7F, 1, 2]).Should().BeNull("not valid protobuf: left to ONNX Runtime to report");
    }

    private static string? Scan(byte[] model) => Ipg.Encoders.Managed.OnnxProtoReader.FindExternalData(model);

    /// <summary>A protobuf message of length-delimited fields.</summary>
    private static byte[] Message(params (int Field, byte[] Value)[] fields)
    {
        var buffer = new List<byte>();
        foreach (var (field, value) in fields)
        {
            Varint(buffer, ((ulong)field << 3) | 2);
            Varint(buffer, (ulong)value.Length);
            buffer.AddRange(value);
        }

        return [.. buffer];
    }

    private static void Varint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }

    [Fact]
    public void The_managed_kernel_refuses_external_data_and_onnx_runtime_runs_it()
    {
        string model = Place("tiny-external.onnx", "models", ("tiny-external.bin", "models"));
        using var external = OnnxSasRecEncoder.Load(model);
        using var embedded = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), new OnnxSasRecEncoderOptions { Kernel = SasRecKernel.OnnxRuntime });
        Encode(external, [3, 1, 4, 1, 5]).Should().Equal(Encode(embedded, [3, 1, 4, 1, 5]));
        external.Kernel.Should().Be(SasRecKernel.OnnxRuntime, "Kernel = Auto falls back: the managed kernel reads embedded data only");
        external.KernelChoice.Should().Contain("external file");

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(model, new OnnxSasRecEncoderOptions { Kernel = SasRecKernel.Managed }))
            .Should().Throw<NotSupportedException>().WithMessage("*external file*embedded data only*");
    }

    /// <summary>Copies <paramref name="model"/> into <c>root/<paramref name="modelFolder"/></c> and each extra file into its folder.</summary>
    private string Place(string model, string modelFolder, params (string File, string Folder)[] files)
    {
        string target = Path.Combine(_root.FullName, modelFolder, model);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Path.Combine(s_folder, model), target);
        foreach (var (file, folder) in files)
        {
            string destination = Path.Combine(_root.FullName, folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(Path.Combine(s_folder, file), destination, overwrite: true);
        }

        return target;
    }

    private static float[] Encode(OnnxSasRecEncoder encoder, int[] history)
    {
        var destination = new float[encoder.Dimension];
        encoder.Encode(history, destination);
        return destination;
    }
}
