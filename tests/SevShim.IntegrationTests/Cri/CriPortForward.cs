using System.Net.WebSockets;
using System.Text;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// One `kubectl port-forward` connection as kubelet relays it: CRI PortForward, then a WebSocket
/// to containerd's streaming server with subprotocol v4.channel.k8s.io and query parameter
/// <c>port</c> (k8s.io/kubelet's portforward/websocket.go, vendored in containerd): per port a
/// data channel (0) and an error channel (1), each starting with the port as a little-endian
/// uint16 from the server; the server closes when the pod's side of the connection ended.
/// </summary>
public static class CriPortForward
{
    /// <summary>Sends <paramref name="request"/> to <paramref name="port"/> and returns what came back on data and error until the server closed.</summary>
    public static async Task<(string Data, string Error)> RoundTripAsync(string url, string netnsPath, int port, string request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var separator = url.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var ws = await CriStream.OpenAsync($"{url}{separator}port={port}", netnsPath, cts.Token);
        var payload = Encoding.UTF8.GetBytes(request);
        var message = new byte[payload.Length + 1];
        payload.CopyTo(message, 1);
        await ws.SendAsync(message, WebSocketMessageType.Binary, true, cts.Token);

        var channels = new[] { new MemoryStream(), new MemoryStream() };
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var bytes = await CriStream.ReceiveFrameAsync(ws, buffer, cts.Token);
                if (bytes is null)
                {
                    break;
                }

                if (bytes.Length > 0 && bytes[0] < channels.Length)
                {
                    channels[bytes[0]].Write(bytes, 1, bytes.Length - 1);
                }
            }
        }
        catch (WebSocketException)
        {
            // The server may drop the connection without a close frame once the forward ended.
        }

        return (Text(channels[0], port), Text(channels[1], port));
    }

    // Each channel begins with the port the server serves on it.
    private static string Text(MemoryStream channel, int port)
    {
        var bytes = channel.ToArray();
        if (bytes.Length < 2 || bytes[0] != (byte)port || bytes[1] != (byte)(port >> 8))
        {
            throw new InvalidDataException($"a port-forward channel did not start with port {port} (little-endian): {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 8)))}");
        }

        return Encoding.UTF8.GetString(bytes, 2, bytes.Length - 2);
    }
}
