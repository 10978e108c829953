using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace SevAgent.ComponentTests;

/// <summary>
/// A raw gRPC Health call whose request body (one empty message) is sent only after
/// <c>delay</c>, on a connection that also carries other calls: what a client starved of CPU
/// between a call's HEADERS and DATA frames looks like to the agent's Kestrel.
/// </summary>
internal static class LateBodyProbe
{
    public static HttpClient NewClient(string socketPath) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
        EnableMultipleHttp2Connections = false,
    });

    /// <summary>Sends Health with its body <paramref name="delay"/> late; returns the grpc-status trailer.</summary>
    public static async Task<string?> HealthAsync(HttpClient client, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/sevagent.v1.Agent/Health")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new LateContent(delay),
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return response.TrailingHeaders.TryGetValues("grpc-status", out var v) ? v.First()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : null;
    }

    private sealed class LateContent : HttpContent
    {
        private readonly TimeSpan _delay;

        public LateContent(TimeSpan delay)
        {
            _delay = delay;
            Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.FlushAsync();
            await Task.Delay(_delay);
            // gRPC framing: not compressed, length 0 (an empty HealthRequest).
            await stream.WriteAsync(new byte[5]);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
