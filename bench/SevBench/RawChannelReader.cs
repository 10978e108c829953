using System.Globalization;
using System.Net.Sockets;

namespace SevBench;

/// <summary>
/// The host end of the raw-channel measurement (scripts/bench.sh): connects to the QEMU chardev
/// unix socket of the virtio-serial port while a test guest writes zeros into the port with dd,
/// and reads until the expected byte count or EOF. Prints "FIRST_BYTE END BYTES" (epoch seconds):
/// first byte to last byte, so the guest's boot is not counted.
/// </summary>
internal static class RawChannelReader
{
    public static int Run(string socketPath, long expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                // QEMU has not created the chardev socket yet.
                Thread.Sleep(20);
            }
        }

        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var buffer = new byte[1 << 20];
        long total = 0;
        double first = double.NaN;
        try
        {
            while (total < expected)
            {
                var n = socket.Receive(buffer);
                if (n == 0)
                {
                    break;
                }

                if (total == 0)
                {
                    first = Now();
                }

                total += n;
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            Console.Error.WriteLine($"sevbench rawread: no data for {timeout.TotalSeconds:0} s after {total} bytes");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{first:0.000000} {Now():0.000000} {total}"));
        return total >= expected ? 0 : 1;
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
