using System.Text;

namespace Qemu.Tests;

/// <summary>
/// The QMP line bound (issue "Reliability" item 5): StreamReader.ReadLineAsync, which QmpClient
/// used, buffers a line without a newline without end; QmpLineReader fails it past the bound.
/// </summary>
public sealed class QmpLineReaderTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8192)]
    public async Task Lines_end_at_a_newline_with_or_without_a_carriage_return_and_at_the_end(int step)
    {
        var reader = new QmpLineReader(new ChunkedStream(Encoding.UTF8.GetBytes("{\"a\": 1}\r\n\n{\"é\": 2}\nlast\r"), step), 16);

        Assert.Equal("{\"a\": 1}", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Equal(string.Empty, await reader.ReadLineAsync(CancellationToken.None));
        Assert.Equal("{\"é\": 2}", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Equal("last", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Null(await reader.ReadLineAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_line_of_the_bound_passes_and_one_byte_more_is_a_protocol_error_naming_the_limit(int step)
    {
        var atBound = new string('x', 1000);
        var data = Encoding.ASCII.GetBytes(atBound + "\r\n" + atBound + "y\n");
        var reader = new QmpLineReader(new ChunkedStream(data, step), 1000);

        Assert.Equal(atBound, await reader.ReadLineAsync(CancellationToken.None));
        var ex = await Assert.ThrowsAsync<QmpProtocolException>(async () => await reader.ReadLineAsync(CancellationToken.None));
        Assert.Contains("limit of 1000 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_last_line_over_the_bound_is_a_protocol_error()
    {
        var reader = new QmpLineReader(new ChunkedStream(Encoding.ASCII.GetBytes(new string('x', 11)), 4), 10);

        await Assert.ThrowsAsync<QmpProtocolException>(async () => await reader.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_greeting_that_never_ends_fails_the_handshake_at_16_MiB()
    {
        using var cts = new CancellationTokenSource(Generous);
        var stream = new ChunkedStream("{\"QMP\": "u8.ToArray(), 65536, fill: (byte)' ');

        var ex = await Assert.ThrowsAsync<QmpProtocolException>(() => QmpClient.StartAsync(stream, cts.Token));

        Assert.Contains($"limit of {16 << 20} bytes (16 MiB)", ex.Message, StringComparison.Ordinal);
        Assert.InRange(stream.Delivered, 16L << 20, (16L << 20) + 65536 + 2);
    }

    [Fact]
    public async Task A_reply_that_never_ends_fails_the_command_in_flight_with_the_protocol_error()
    {
        using var cts = new CancellationTokenSource(Generous);
        var session = FakeQmpServer.QemuGreeting + "\n{\"return\": {}, \"id\": \"sevshim-1\"}\n{\"return\": \"";
        await using var client = await QmpClient.StartAsync(new ChunkedStream(Encoding.UTF8.GetBytes(session), 4096, fill: (byte)'a', holdAfterGreeting: true), 4096, cts.Token);

        var ex = await Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.ExecuteAsync("query-status", cts.Token));

        Assert.IsType<QmpProtocolException>(ex.InnerException);
        Assert.Contains("limit of 4096 bytes", ex.InnerException!.Message, StringComparison.Ordinal);
    }
}
