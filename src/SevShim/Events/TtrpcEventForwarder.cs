using Google.Protobuf.WellKnownTypes;
using SevShim.Errors;
using SevShim.Protos.Containerd.EventsTtrpc;
using Ttrpc;

namespace SevShim.Events;

/// <summary>
/// Forwards events to containerd's ttrpc events service on TTRPC_ADDRESS (a plain socket path,
/// SHIM-PROTOCOL.md 3.3) over one long-lived connection. Like the Go publisher, each Forward has
/// a 5 s timeout and a broken connection is replaced and the call retried once at once; longer
/// outages (containerd restarting) are retried by <see cref="TaskEventPublisher"/>.
/// Not thread-safe: the publisher's single pump calls it. Owns its connection.
/// </summary>
internal sealed class TtrpcEventForwarder : IEventForwarder
{
    /// <summary>containerd's ttrpc events service name.</summary>
    public const string ServiceName = "containerd.services.events.ttrpc.v1.Events";

    /// <summary>The Forward method.</summary>
    public const string ForwardMethod = "Forward";

    private readonly string _address;
    private readonly TimeSpan _callTimeout;
    private TtrpcClient? _client;

    /// <summary>
    /// <paramref name="ttrpcAddress"/>: the TTRPC_ADDRESS environment variable (a path, or
    /// unix:///path). <paramref name="callTimeout"/>: per Forward, default 5 s as in Go.
    /// </summary>
    public TtrpcEventForwarder(string ttrpcAddress, TimeSpan? callTimeout = null)
    {
        if (string.IsNullOrWhiteSpace(ttrpcAddress))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                "sevshim: TTRPC_ADDRESS is empty: containerd sets it for the shim (its ttrpc socket, e.g. /run/containerd/containerd.sock.ttrpc); run the shim from containerd or set it");
        }

        _address = ttrpcAddress;
        _callTimeout = callTimeout ?? TimeSpan.FromSeconds(5);
    }

    /// <inheritdoc/>
    public async Task ForwardAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        var request = new ForwardRequest { Envelope = envelope };
        var reused = _client is not null && !_client.Completion.IsCompleted;
        try
        {
            await CallAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (reused && IsConnectionFailure(ex, cancellationToken))
        {
            // The cached connection died (containerd restarted: EPIPE/EOF). Reconnect once now.
            await CallAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not ShimException && !cancellationToken.IsCancellationRequested;

    private async Task CallAsync(ForwardRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (_client is null || _client.Completion.IsCompleted)
            {
                await DropClientAsync().ConfigureAwait(false);
                _client = await TtrpcClient.ConnectAsync(_address, cancellationToken).ConfigureAwait(false);
            }

            await _client.CallAsync(ServiceName, ForwardMethod, request, Empty.Parser, _callTimeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (TtrpcException ex) when (ex.Code == TtrpcStatusCode.InvalidArgument)
        {
            // containerd validated the envelope and refused it: retrying cannot help.
            throw new ShimException(ShimErrorKind.InvalidArgument, $"containerd rejected event {request.Envelope.Topic}: {ex.Message}", ex);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            await DropClientAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DropClientAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            try
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or TtrpcException)
            {
                // Closing an already broken connection can fail; the connection is gone either way.
            }
        }
    }
}
