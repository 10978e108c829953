using System.Security.Cryptography;
using static TestSupport.ToolRunner;

namespace Netlink.ComponentTests;

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

    public void Dispose() => Ip("netns", "delete", Name);
}
