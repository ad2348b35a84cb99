using Ipg.Encoders;
using Ipg.Encoders.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Tests.Encoders;

/// <summary>The contract checks that no committed model reaches (a table whose shape only shows at run time, odd metadata values).</summary>
public class OnnxSasRecContractTests
{
    private static readonly Dictionary<string, string> s_valid = new()
    {
        ["ipg.contract"] = "1",
        ["ipg.max_length"] = "3",
        ["ipg.hidden_size"] = "2",
        ["ipg.item_count"] = "4",
        ["ipg.id_convention"] = "one_based_zero_padding",
        ["ipg.padding_side"] = "left",
        ["ipg.position_convention"] = "zero_based_all_slots",
        ["ipg.layout"] = "pmixer-v1",
        ["ipg.training_log_sha256"] = new string('a', 64),
        ["ipg.producer"] = "test",
        ["ipg.blocks"] = "2",
    };

    [Fact]
    public void Reads_valid_metadata_and_keeps_every_property()
    {
        var meta = OnnxSasRecContract.ReadMetadata(s_valid, "'m'");
        meta.MaxLength.Should().Be(3);
        meta.HiddenSize.Should().Be(2);
        meta.ItemCount.Should().Be(4);
        meta.Layout.Should().Be("pmixer-v1");
        meta.PositionConvention.Should().Be("zero_based_all_slots");
        meta.TrainingLogSha256.Should().HaveLength(64);
        meta.Producer.Should().Be("test");
        meta.Properties.Should().Contain("ipg.blocks", "2");

        OnnxSasRecContract.ReadMetadata(With("ipg.training_log_sha256", ""), "'m'").TrainingLogSha256.Should().BeEmpty("the producer may not know the log");
    }

    [Theory]
    [InlineData("ipg.max_length", "0", "metadata 'ipg.max_length' is '0', not a positive integer.")]
    [InlineData("ipg.max_length", "-3", "metadata 'ipg.max_length' is '-3', not a positive integer.")]
    [InlineData("ipg.hidden_size", "1.5", "metadata 'ipg.hidden_size' is '1.5', not a positive integer.")]
    [InlineData("ipg.item_count", "2147483647", "metadata 'ipg.item_count' is 2147483647; the table would have more than int.MaxValue rows.")]
    [InlineData("ipg.contract", "one", "metadata 'ipg.contract' is 'one', not a positive integer.")]
    [InlineData("ipg.id_convention", "zero_based", "metadata 'ipg.id_convention' is 'zero_based'; this encoder supports 'one_based_zero_padding' only.")]
    [InlineData("ipg.layout", "", "metadata 'ipg.layout' is empty.")]
    [InlineData("ipg.position_convention", "", "metadata 'ipg.position_convention' is empty.")]
    [InlineData("ipg.training_log_sha256", "abc", "metadata 'ipg.training_log_sha256' is 'abc', neither empty nor 64 hexadecimal digits.")]
    public void Refuses_bad_metadata_values(string key, string value, string what)
        => FluentActions.Invoking(() => OnnxSasRecContract.ReadMetadata(With(key, value), "'m'")).Should().Throw<InvalidDataException>()
            .WithMessage($"The ONNX model 'm' breaks the Ipg encoder contract (docs/onnx-contract.md): {what}");

    [Fact]
    public void Refuses_an_item_table_of_the_wrong_shape_type_or_with_non_finite_values()
    {
        var meta = OnnxSasRecContract.ReadMetadata(s_valid, "'m'");

        using (var wrongRows = OrtValue.CreateTensorValueFromMemory(new float[6 * 2], [6, 2]))
        {
            FluentActions.Invoking(() => OnnxSasRecContract.ReadItemTable(wrongRows, null, meta, "'m'")).Should().Throw<InvalidDataException>()
                .WithMessage("*output 'item_embeddings' has shape [6, 2]; the contract requires [5, 2] (ipg.item_count + 1 rows*");
        }

        using (var doubles = OrtValue.CreateTensorValueFromMemory(new double[5 * 2], [5, 2]))
        {
            FluentActions.Invoking(() => OnnxSasRecContract.ReadItemTable(doubles, null, meta, "'m'")).Should().Throw<InvalidDataException>()
                .WithMessage("*output 'item_embeddings' produced Double values; the contract requires Float (float32).");
        }

        var rows = new float[5 * 2];
        rows[7] = float.NaN;
        using (var nan = OrtValue.CreateTensorValueFromMemory(rows, [5, 2]))
        {
            FluentActions.Invoking(() => OnnxSasRecContract.ReadItemTable(nan, null, meta, "'m'")).Should().Throw<InvalidDataException>()
                .WithMessage("*output 'item_embeddings' has a non-finite value (NaN) at row 3, column 1.");
        }

        rows[7] = 0.5f;
        using var good = OrtValue.CreateTensorValueFromMemory(rows, [5, 2]);
        var table = OnnxSasRecContract.ReadItemTable(good, null, meta, "'m'");
        table.ItemCount.Should().Be(4);
        table[3].ToArray().Should().Equal(0f, 0.5f);
    }

    private static Dictionary<string, string> With(string key, string value) => new(s_valid) { [key] = value };
}
