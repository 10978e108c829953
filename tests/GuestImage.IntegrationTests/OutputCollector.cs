using System.Text;
using Grpc.Core;
using SevAgent.Protocol.V1;

namespace GuestImage.IntegrationTests;

/// <summary>
/// Reads an output stream in the background and lets a test wait for a piece of text in it (for
/// interactive processes: a terminal, a trap handler). Owns the call.
/// </summary>
internal sealed class OutputCollector : IDisposable
{
    private readonly AsyncServerStreamingCall<OutputChunk> _call;
    private readonly StringBuilder _text = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Task _reader;

    public OutputCollector(AsyncServerStreamingCall<OutputChunk> call, CancellationToken cancellationToken)
    {
        _call = call;
        _reader = ReadAsync(cancellationToken);
    }

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Waits until the output contains <paramref name="expected"/>; fails with the output so far.</summary>
    public async Task WaitForAsync(string expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Text.Contains(expected, StringComparison.Ordinal))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _reader.IsCompleted)
            {
                if (Text.Contains(expected, StringComparison.Ordinal))
                {
                    return;
                }

                Assert.Fail($"output did not contain '{expected}' (stream {(_reader.IsCompleted ? "ended" : "open")}); output so far:\n{Text}");
            }

            await _changed.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>Waits for the end of the stream and returns the whole output.</summary>
    public async Task<string> CompleteAsync()
    {
        await _reader;
        return Text;
    }

    public void Dispose()
    {
        _call.Dispose();
        _changed.Dispose();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (await _call.ResponseStream.MoveNext(cancellationToken))
        {
            var chunk = _call.ResponseStream.Current.Data.ToStringUtf8();
            lock (_text)
            {
                _text.Append(chunk);
            }

            _changed.Release();
        }

        _changed.Release();
    }
}
