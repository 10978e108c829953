using SevAgent.Containers;

namespace SevAgent.Tests.Unit;

/// <summary>The agent's output pump on a real pipe (see <see cref="FakeProcess"/>).</summary>
public sealed class OutputPumpTests
{
    [Fact]
    public async Task Writes_made_while_the_reader_is_away_come_out_as_one_chunk()
    {
        using var process = new FakeProcess("p");
        for (var i = 0; i < 16; i++)
        {
            process.StdoutWriter.Write(new byte[4096]);
            await Task.Delay(5);
        }

        process.StdoutWriter.Dispose();
        await Task.Delay(300);
        var chunks = new List<int>();

        await process.Stdout.CopyToAsync((chunk, _) => { chunks.Add(chunk.Length); return Task.CompletedTask; }, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(16 * 4096, chunks.Sum());
        Assert.Single(chunks);
    }

    [Fact]
    public async Task A_cancelled_partial_read_leaves_exactly_the_rest_for_the_next_reader()
    {
        using var process = new FakeProcess("p");
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        process.StdoutWriter.Write(data);
        process.StdoutWriter.Dispose();
        var first = new List<byte>();
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => process.Stdout.DrainAsync(
            (chunk, ct) =>
            {
                if (first.Count >= 999)
                {
                    cancel.Cancel();
                    ct.ThrowIfCancellationRequested();
                }

                first.AddRange(chunk[..333].ToArray());
                return ValueTask.FromResult(333);
            },
            cancel.Token).WaitAsync(TimeSpan.FromSeconds(20)));
        var rest = new List<byte>();
        await process.Stdout.CopyToAsync((chunk, _) => { rest.AddRange(chunk.ToArray()); return Task.CompletedTask; }, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(999, first.Count);
        Assert.Equal(data, first.Concat(rest));
    }
}
