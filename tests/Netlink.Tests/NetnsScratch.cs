using System.Diagnostics;
using System.Security.Cryptography;

namespace Netlink.Tests;

/// <summary>A network namespace of the test's own (`ip netns add`), deleted with its links on dispose.</summary>
internal sealed class NetnsScratch : IDisposable
{
    public NetnsScratch() => Ip("netns", "add", Name);

    public string Name { get; } = "sevnl-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string Path => "/var/run/netns/" + Name;

    public Task<T> RunAsync<T>(Func<RouteNetlink, T> work) => NetworkNamespace.RunAsync(Path, () =>
    {
        using var netlink = RouteNetlink.Open();
        return work(netlink);
    });

    public static string Ip(params string[] args) => Run("ip", args);

    public static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr}");
    }

    public void Dispose() => Ip("netns", "delete", Name);
}
