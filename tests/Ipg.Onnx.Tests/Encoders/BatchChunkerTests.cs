using Ipg.Encoders;

namespace Ipg.Tests.Encoders;

/// <summary>The one batch chunker of both forward passes: every row once, in its place, sequential or parallel.</summary>
public sealed class BatchChunkerTests
{
    private const int D = 3;

    private static IReadOnlyList<ReadOnlyMemory<int>> Histories(int count) =>
        Enumerable.Range(0, count).Select(u => (ReadOnlyMemory<int>)new[] { u + 1 }).ToArray();

    /// <summary>Writes (history's item, chunk start, chunk rows) into each row, and records the chunks it saw.</summary>
    private sealed class Recorder
    {
        public List<(int Start, int Rows)> Chunks { get; } = [];

        public void Encode(IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, Span<float> destination)
        {
            lock (Chunks)
            {
                Chunks.Add((start, rows));
            }

            destination.Length.Should().Be(rows * D);
            for (int r = 0; r < rows; r++)
            {
                destination[r * D] = histories[start + r].Span[0];
                destination[(r * D) + 1] = start;
                destination[(r * D) + 2] = rows;
            }
        }
    }

    [Theory]
    [InlineData(10, 3, 1)]
    [InlineData(10, 3, 2)]
    [InlineData(9, 3, 4)]
    [InlineData(1, 32, 2)]
    [InlineData(64, 64, 2)]
    public void Every_row_is_encoded_once_in_its_place(int count, int chunk, int parallelism)
    {
        var recorder = new Recorder();
        var destination = new float[count * D];
        BatchChunker.Encode(recorder, static (r, h, start, rows, slice, _) => r.Encode(h, start, rows, slice), Histories(count), destination, D, chunk, parallelism, CancellationToken.None);

        recorder.Chunks.OrderBy(c => c.Start).Should().Equal(
            Enumerable.Range(0, (count + chunk - 1) / chunk).Select(c => (c * chunk, Math.Min(chunk, count - (c * chunk)))));
        for (int u = 0; u < count; u++)
        {
            destination[u * D].Should().Be(u + 1, $"row {u} holds its own history's result");
            destination[(u * D) + 1].Should().Be(u / chunk * chunk);
        }
    }

    [Fact]
    public void A_cancelled_token_stops_before_the_next_chunk_and_keeps_the_finished_rows()
    {
        using var cancel = new CancellationTokenSource();
        var destination = new float[6 * D];
        int calls = 0;
        FluentActions.Invoking(() => BatchChunker.Encode(cancel, (c, h, start, rows, slice, _) =>
        {
            calls++;
            slice.Fill(1f);
            c.Cancel();
        }, Histories(6), destination, D, 2, 1, cancel.Token)).Should().Throw<OperationCanceledException>();

        calls.Should().Be(1);
        destination.Take(2 * D).Should().OnlyContain(v => v == 1f);
        destination.Skip(2 * D).Should().OnlyContain(v => v == 0f);
    }

    [Theory]
    [InlineData(100, 32, 70, 48, 32)]
    [InlineData(5, 32, 70, 48, 5)]
    [InlineData(0, 32, 70, 48, 1)]
    public void The_chunk_size_is_the_batch_size_capped_by_the_count(int count, int maxBatch, int length, int d, int expected) =>
        BatchChunker.ChunkSize(count, maxBatch, length, d).Should().Be(expected);
}
