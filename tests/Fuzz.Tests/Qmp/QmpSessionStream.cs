using System.Text;

namespace Fuzz.Tests.Qmp;

/// <summary>
/// QEMU's side of a QMP socket, scripted: the first line (the greeting) is readable at once,
/// the rest only after the client has written its first command (qmp_capabilities), so the
/// reply to it cannot overtake the client's registration of that command; then end of stream.
/// What the client writes is discarded.
/// </summary>
internal sealed class QmpSessionStream : Stream
{
    private readonly byte[] _greeting;
    private readonly byte[] _rest;
    private readonly SemaphoreSlim _firstWrite = new(0, 1);
    private int _wrote;
    private int _greetingAt;
    private int _restAt;

    public QmpSessionStream(string session)
    {
        var newline = session.IndexOf('\n', StringComparison.Ordinal);
        _greeting = Encoding.UTF8.GetBytes(newline < 0 ? session : session[..(newline + 1)]);
        _rest = newline < 0 ? [] : Encoding.UTF8.GetBytes(session[(newline + 1)..]);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_greetingAt < _greeting.Length)
        {
            var n = Math.Min(buffer.Length, _greeting.Length - _greetingAt);
            _greeting.AsMemory(_greetingAt, n).CopyTo(buffer);
            _greetingAt += n;
            return n;
        }

        if (_restAt == 0 && _rest.Length > 0)
        {
            await _firstWrite.WaitAsync(cancellationToken);
        }

        var m = Math.Min(buffer.Length, _rest.Length - _restAt);
        _rest.AsMemory(_restAt, m).CopyTo(buffer);
        _restAt += m;
        return m;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _wrote, 1) == 0)
        {
            _firstWrite.Release();
        }

        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _firstWrite.Dispose();
        }

        base.Dispose(disposing);
    }
}
