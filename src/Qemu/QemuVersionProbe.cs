using System.Text.Json.Nodes;

namespace Qemu;

/// <summary>Finds out which QEMU is installed: from <c>--version</c> or from QMP <c>query-version</c>.</summary>
public static class QemuVersionProbe
{
    private static readonly TimeSpan VersionTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <c>BINARY --version</c> and parses its first line.</summary>
    public static Task<QemuVersionInfo> FromBinaryAsync(string binary, CancellationToken cancellationToken) =>
        FromBinaryAsync(binary, VersionTimeout, cancellationToken);

    /// <summary>Like <see cref="FromBinaryAsync(string, CancellationToken)"/>, killing QEMU after <paramref name="timeout"/>.</summary>
    public static async Task<QemuVersionInfo> FromBinaryAsync(string binary, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = await ProcessRunner.RunAsync(binary, ["--version"], timeout, cancellationToken);
        if (output.TimedOut)
        {
            throw new TimeoutException($"{binary} --version did not finish within {timeout.TotalSeconds:0} s");
        }

        var firstLine = output.StandardOutput.Split('\n', 2)[0].Trim();
        if (output.ExitCode != 0 || !QemuVersion.TryParse(firstLine, out var info))
        {
            throw new FormatException(
                $"{binary} --version exited {output.ExitCode} and printed '{firstLine}' {output.StandardError.Trim()}: not a QEMU system emulator");
        }

        return info;
    }

    /// <summary>Asks a running QEMU with QMP <c>query-version</c> (QAPI VersionInfo).</summary>
    public static async Task<QemuVersionInfo> QueryAsync(QmpClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var result = await client.ExecuteAsync("query-version", cancellationToken) as JsonObject
            ?? throw new QmpProtocolException("query-version returned no object");
        return QmpClient.ParseVersion(result);
    }
}
