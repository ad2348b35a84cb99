using System.Text.Json;
using FluentAssertions;
using Ipg.Encoders;
using Xunit;

namespace Ipg.Tests.Encoders;

public sealed class OnnxIrnModelTests
{
    private const string FixturesFormat = "ipg-irn-fixtures/1";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string ModelPath => Path.Combine(OnnxFixtures.Folder, "irn-paper.onnx");

    private static IrnFixtures ReadFixtures()
    {
        string path = OnnxFixtures.FixturesPath(ModelPath);
        var fixtures = JsonSerializer.Deserialize<IrnFixtures>(File.ReadAllText(path), s_json) ?? throw new InvalidDataException($"{path} is empty.");
        fixtures.Format.Should().Be(FixturesFormat);
        return fixtures;
    }

    [Fact]
    public void Onnx_Runtime_reproduces_the_torch_scores_and_factors_of_the_golden_fixtures()
    {
        var fixtures = ReadFixtures();
        using var model = OnnxIrnModel.Load(ModelPath, maxParallelRuns: 2);
        model.ItemCount.Should().Be(fixtures.ItemCount);
        model.UserCount.Should().Be(fixtures.UserCount);
        model.MaxHistoryLength.Should().Be(fixtures.MaxLength);
        model.TrainingLogSha256.Should().Be(fixtures.TrainingLogSha256);

        int n = model.ItemCount;
        var cases = fixtures.Cases;
        var histories = cases.Select(c => (ReadOnlyMemory<int>)c.History).ToArray();
        var scores = new float[cases.Count * n];
        var factors = new float[cases.Count];
        model.ScoreBatch(histories, cases.Select(c => c.Target).ToArray(), cases.Select(c => c.User).ToArray(), scores, factors);

        for (int r = 0; r < cases.Count; r++)
        {
            var c = cases[r];
            Math.Abs(factors[r] - c.Impressionability).Should().BeLessThanOrEqualTo(1e-5f, c.Name);
            foreach (var (id, expected) in c.Scores)
            {
                double diff = Math.Abs(scores[(r * n) + int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) - 1] - expected);
                diff.Should().BeLessThanOrEqualTo(1e-5, $"case {c.Name}, item {id}");
            }

            var row = scores.AsSpan(r * n, n).ToArray();
            var top = Enumerable.Range(1, n).OrderByDescending(i => row[i - 1]).ThenBy(i => i).Take(10).ToArray();
            for (int i = 0; i < 10; i++)
            {
                if (top[i] != c.Top10[i])
                {
                    // Only a near-tie may reorder.
                    Math.Abs(row[top[i] - 1] - row[c.Top10[i] - 1]).Should().BeLessThan(1e-4f, $"case {c.Name}, rank {i}");
                }
            }
        }
    }

    [Fact]
    public void Rows_do_not_depend_on_their_batch_and_long_histories_keep_their_most_recent_items()
    {
        using var model = OnnxIrnModel.Load(ModelPath, maxParallelRuns: 1);
        int n = model.ItemCount;
        int l = model.MaxHistoryLength;
        var rng = new Random(5);
        var longHistory = Enumerable.Range(0, l + 9).Select(_ => rng.Next(1, n + 1)).ToArray();
        var histories = new ReadOnlyMemory<int>[70];
        for (int r = 0; r < histories.Length; r++)
        {
            histories[r] = Enumerable.Range(0, rng.Next(0, l)).Select(_ => rng.Next(1, n + 1)).ToArray();
        }

        histories[65] = longHistory;
        histories[66] = longHistory[^l..];
        var targets = Enumerable.Range(0, 70).Select(_ => rng.Next(1, n + 1)).ToArray();
        targets[66] = targets[65];
        var users = Enumerable.Range(0, 70).Select(_ => rng.Next(0, model.UserCount + 1)).ToArray();
        users[66] = users[65];
        var batch = new float[70 * n];
        model.ScoreBatch(histories, targets, users, batch);

        batch.AsSpan(65 * n, n).ToArray().Should().Equal(batch.AsSpan(66 * n, n).ToArray());
        var single = new float[n];
        model.ScoreBatch([histories[3]], [targets[3]], [users[3]], single);
        for (int i = 0; i < n; i++)
        {
            single[i].Should().BeApproximately(batch[(3 * n) + i], 1e-5f);
        }
    }

    [Fact]
    public void The_unknown_user_gets_the_mean_personal_factor()
    {
        using var model = OnnxIrnModel.Load(ModelPath, maxParallelRuns: 1);
        int u = model.UserCount;
        var users = Enumerable.Range(0, u + 1).ToArray();
        var histories = users.Select(_ => ReadOnlyMemory<int>.Empty).ToArray();
        var factors = new float[u + 1];
        model.ScoreBatch(histories, users.Select(_ => 1).ToArray(), users, new float[(u + 1) * model.ItemCount], factors);
        double mean = factors.Skip(1).Average(f => (double)f);
        factors[0].Should().BeApproximately((float)mean, 1e-4f);
        factors.Skip(1).Distinct().Count().Should().BeGreaterThan(1, "the factor is personal");
    }

    [Fact]
    public void Arguments_and_the_contract_are_checked()
    {
        using var model = OnnxIrnModel.Load(ModelPath, maxParallelRuns: 1);
        int n = model.ItemCount;
        var one = new ReadOnlyMemory<int>[] { new[] { 1, 2 } };
        var scores = new float[n];
        FluentActions.Invoking(() => model.ScoreBatch(one, [0], [1], scores)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetIds");
        FluentActions.Invoking(() => model.ScoreBatch(one, [n + 1], [1], scores)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetIds");
        FluentActions.Invoking(() => model.ScoreBatch(one, [1], [model.UserCount + 1], scores)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userIds");
        FluentActions.Invoking(() => model.ScoreBatch([new[] { n + 1 }], [1], [1], scores)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("histories");
        FluentActions.Invoking(() => model.ScoreBatch(one, [1, 2], [1], scores)).Should().Throw<ArgumentException>().WithParameterName("targetIds");
        FluentActions.Invoking(() => model.ScoreBatch(one, [1], [1], new float[n - 1])).Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => OnnxIrnModel.Load(ModelPath, maxParallelRuns: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxParallelRuns");
        FluentActions.Invoking(() => OnnxIrnModel.Load(Path.Combine(OnnxFixtures.Folder, "missing.onnx"))).Should().Throw<FileNotFoundException>();
        FluentActions.Invoking(() => OnnxIrnModel.Load(Path.Combine(OnnxFixtures.Folder, "sasrec-tiny.onnx"))).Should().Throw<InvalidDataException>().WithMessage("*not an Ipg IRN export*ipg.model*");

        var disposed = OnnxIrnModel.Load(ModelPath, maxParallelRuns: 1);
        disposed.Dispose();
        FluentActions.Invoking(() => disposed.ScoreBatch(one, [1], [1], scores)).Should().Throw<ObjectDisposedException>();
    }

    private sealed record IrnFixtures(
        string Format,
        string Model,
        int MaxLength,
        int ItemCount,
        int UserCount,
        string TrainingLogSha256,
        IReadOnlyList<IrnCase> Cases);

    private sealed record IrnCase(
        string Name,
        int[] History,
        int Target,
        int User,
        float Impressionability,
        int[] Top10,
        Dictionary<string, float> Scores);
}
