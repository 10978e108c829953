namespace Qemu.Tests;

/// <summary>
/// A read-only stream that hands out <c>data</c> at most <c>step</c> bytes per read, as a socket
/// may, then either ends or (with <c>fill</c>) repeats that byte forever: a peer that never sends
/// a newline. What is written is discarded; with <c>holdAfterGreeting</c> the bytes after the first
/// newline wait for the first write (the client's qmp_capabilities), so that its reply cannot
/// overtake the client's registration of that command.
/// </summary>
internal sealed class ChunkedStream(byte[] data, int step, byte? fill = null, bool holdAfterGreeting = false) : Stream
{
    private readonly int _greetingEnd = holdAfterGreeting ? Array.IndexOf(data, (byte)'\n') + 1 : 0;
    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    /// <summary>The bytes read so far.</summary>
    public long Delivered { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (_position < data.Length)
        {
            var end = _position < _greetingEnd ? _greetingEnd : data.Length;
            n = Math.Min(Math.Min(buffer.Length, step), end - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
        }
        else if (fill is { } b)
        {
            n = Math.Min(buffer.Length, step);
            buffer[..n].Fill(b);
        }
        else
        {
            n = 0;
        }

        Delivered += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_greetingEnd > 0 && _position == _greetingEnd)
        {
            await _written.Task.WaitAsync(cancellationToken);
        }

        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _written.TrySetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _written.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
