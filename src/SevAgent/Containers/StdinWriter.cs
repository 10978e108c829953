using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// Writes a process's stdin (a pipe's write end, or the pty master for a terminal) on its own
/// thread, fed by a small bounded queue so a process that does not read blocks the shim through
/// HTTP/2 flow control instead of growing memory. Close is queued behind the data so it never
/// overtakes it. The writer owns the handle it is given (for a pty: a duplicate of the master).
/// </summary>
internal sealed class StdinWriter
{
    private readonly SafeFileHandle _handle;
    private readonly bool _terminal;
    private readonly Channel<Item> _items = Channel.CreateBounded<Item>(
        new BoundedChannelOptions(4) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private int _writerActive;
    private volatile bool _broken;
    private volatile bool _closeQueued;

    public StdinWriter(SafeFileHandle handle, bool terminal, string name)
    {
        _handle = handle;
        _terminal = terminal;
        var thread = new Thread(Run, 128 * 1024) { IsBackground = true, Name = "in " + name };
        thread.Start();
    }

    /// <summary>True once the close was requested.</summary>
    public bool Closed => _closeQueued;

    /// <summary>Claims the writer for one WriteStdin call (one at a time).</summary>
    public IDisposable Claim(string name)
    {
        if (_closeQueued)
        {
            throw AgentException.FailedPrecondition($"stdin of {name} is closed");
        }

        if (Interlocked.CompareExchange(ref _writerActive, 1, 0) != 0)
        {
            throw AgentException.FailedPrecondition($"stdin of {name} already has a writer: finish the other WriteStdin call first");
        }

        return new Release(this);
    }

    /// <summary>Queues <paramref name="data"/>; false when the process no longer reads (EPIPE).</summary>
    public async ValueTask<bool> WriteAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (_broken)
        {
            return false;
        }

        await _items.Writer.WriteAsync(new Item(data, null, false), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Waits until everything queued so far was written (or the pipe broke).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_items.Writer.TryWrite(new Item(null, done, false)))
        {
            await _items.Writer.WriteAsync(new Item(null, done, false), cancellationToken).ConfigureAwait(false);
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the close (EOF): the pipe's write end is closed, a terminal gets ^D.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_closeQueued)
        {
            return;
        }

        _closeQueued = true;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _items.Writer.WriteAsync(new Item(null, done, true), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Run()
    {
        var stream = new FileStream(_handle, FileAccess.Write, bufferSize: 0);
        var reader = _items.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var item))
                {
                    if (item.Data is { } data && !_broken)
                    {
                        try
                        {
                            stream.Write(data);
                        }
                        catch (IOException)
                        {
                            // EPIPE: the process closed its stdin or exited; drop the rest.
                            _broken = true;
                        }
                    }

                    if (item.Close)
                    {
                        if (_terminal && !_broken)
                        {
                            // A pty has no half-close: the line discipline's EOF character
                            // (VEOF, ^D by default) makes a canonical-mode reader see EOF.
                            try
                            {
                                stream.Write([4]);
                            }
                            catch (IOException)
                            {
                                _broken = true;
                            }
                        }

                        stream.Dispose();
                        _broken = true;
                        _items.Writer.TryComplete();
                    }

                    item.Done?.TrySetResult();
                }
            }
        }
        finally
        {
            stream.Dispose();
        }
    }

    private readonly record struct Item(byte[]? Data, TaskCompletionSource? Done, bool Close);

    private sealed class Release(StdinWriter owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._writerActive, 0);
    }
}
