using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// The network namespace a <see cref="CriContainerd"/> runs in (`ip netns add`, lo up): the CNI
/// bridge, the pods' veth ends and any portmap rule land there, never in the host's network
/// (CRI.md §5.4, "Isolation"). The instance owns the namespace; disposing deletes it, and with
/// it whatever links are still inside.
/// </summary>
public sealed class CriNetns : IAsyncDisposable
{
    private static readonly TimeSpan IpTimeout = TimeSpan.FromSeconds(30);

    private CriNetns(string name) => Name = name;

    /// <summary>The name under /var/run/netns.</summary>
    public string Name { get; }

    /// <summary>The bind-mounted namespace file, for nsenter --net.</summary>
    public string Path => "/var/run/netns/" + Name;

    /// <summary>Creates the namespace and brings its loopback up.</summary>
    public static async Task<CriNetns> CreateAsync(string name)
    {
        (await IpAsync("netns", "add", name)).EnsureSuccess();
        var netns = new CriNetns(name);
        try
        {
            (await IpAsync("-n", name, "link", "set", "lo", "up")).EnsureSuccess();
            return netns;
        }
        catch
        {
            await netns.DisposeAsync();
            throw;
        }
    }

    /// <summary>Names of the links of <paramref name="type"/> (veth, tun, bridge) inside the namespace.</summary>
    public async Task<IReadOnlyList<string>> LinksAsync(string type)
    {
        var ip = (await IpAsync("-n", Name, "-o", "link", "show", "type", type)).EnsureSuccess();
        // "5: vethab12cd34@if3: <BROADCAST,...> ..." : the name is the second field, before any '@'.
        return ip.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3))
            .Where(f => f.Length >= 2)
            .Select(f => f[1].Trim().Split('@')[0])
            .ToList();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await IpAsync("netns", "delete", Name);

    private static async Task<CtrResult> IpAsync(params string[] args)
    {
        await using var ip = CtrCommand.Start("ip", args);
        ip.CloseStdin();
        return await ip.WaitAsync(IpTimeout);
    }
}
