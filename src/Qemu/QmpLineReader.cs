using System.Globalization;
using System.Text;

namespace Qemu;

/// <summary>
/// Reads QMP's newline-terminated lines from a stream with a bound on a line's length.
/// StreamReader.ReadLineAsync has none: a peer that never sends a newline (a QEMU gone wrong, or
/// whatever else listens on the socket) would make it buffer without end. A line ends at '\n'
/// (a '\r' before it is dropped: QEMU ends its lines with "\r\n" on some character devices);
/// invalid UTF-8 becomes U+FFFD, as with the StreamReader this replaces.
/// Ownership: the stream stays the caller's.
/// </summary>
internal sealed class QmpLineReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;

    /// <param name="stream">The QMP connection.</param>
    /// <param name="maxLineBytes">The most bytes of one line, its terminator not counted.</param>
    public QmpLineReader(Stream stream, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineBytes, Array.MaxLength - 2);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(8192, maxLineBytes + 2)];
    }

    /// <summary>
    /// The next line without its terminator; the last bytes before the end of the stream if they
    /// have none; null at the end. <see cref="QmpProtocolException"/> for a line over the bound.
    /// </summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var searched = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', searched, _end - searched);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == (byte)'\r')
                {
                    length--;
                }

                var line = Take(length, newline + 1);
                return line;
            }

            // No newline yet: pending bytes beyond the bound (and a possible '\r') are a line over it.
            if (_end - _start > _maxLineBytes + 1)
            {
                throw TooLong();
            }

            searched = _end;
            if (_end == _buffer.Length)
            {
                searched -= _start;
                MakeRoom();
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start)
                {
                    return null;
                }

                var last = _end - _start;
                return Take(last > 0 && _buffer[_end - 1] == (byte)'\r' ? last - 1 : last, _end);
            }

            _end += read;
        }
    }

    private string Take(int length, int next)
    {
        if (length > _maxLineBytes)
        {
            throw TooLong();
        }

        var line = Utf8.GetString(_buffer, _start, length);
        _start = next;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        return line;
    }

    // Moves the pending bytes to the front, or grows the buffer (up to the bound and a terminator).
    private void MakeRoom()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
        }
        else
        {
            var grown = new byte[(int)Math.Min((long)_buffer.Length * 2, _maxLineBytes + 2L)];
            Buffer.BlockCopy(_buffer, 0, grown, 0, pending);
            _buffer = grown;
        }

        _start = 0;
        _end = pending;
    }

    private QmpProtocolException TooLong() => new(string.Create(
        CultureInfo.InvariantCulture,
        $"a QMP line is longer than the limit of {_maxLineBytes} bytes ({_maxLineBytes / (1024.0 * 1024.0):0.##} MiB): the peer does not speak QMP"));
}
