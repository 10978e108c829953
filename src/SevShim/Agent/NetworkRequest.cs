using System.Net.Sockets;
using Google.Protobuf;
using SevShim.Network;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// The agent's ConfigureNetwork request for a pod network plan: interfaces by MAC with CNI's
/// names, MTUs and addresses; routes by interface name (guest ifindexes are not the host's),
/// link routes first as the plan orders them.
/// </summary>
internal static class NetworkRequest
{
    /// <summary>Maps <paramref name="plan"/>.</summary>
    public static Proto.ConfigureNetworkRequest From(PodNetworkPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var request = new Proto.ConfigureNetworkRequest();
        var names = plan.Interfaces.ToDictionary(i => i.Index, i => i.Name);
        foreach (var i in plan.Interfaces)
        {
            var nic = new Proto.NetworkInterface { Name = i.Name, HardwareAddress = ByteString.CopyFrom(i.HardwareAddress), Mtu = (uint)i.Mtu };
            nic.Addresses.AddRange(i.Addresses.Select(a => new Proto.IpAddress { Address = ByteString.CopyFrom(a.Address.GetAddressBytes()), PrefixLength = (uint)a.PrefixLength }));
            request.Interfaces.Add(nic);
        }

        foreach (var r in plan.Routes)
        {
            request.Routes.Add(new Proto.NetworkRoute
            {
                Ipv6 = r.Family == AddressFamily.InterNetworkV6,
                Destination = r.Destination is null ? ByteString.Empty : ByteString.CopyFrom(r.Destination.GetAddressBytes()),
                PrefixLength = (uint)r.PrefixLength,
                Gateway = r.Gateway is null ? ByteString.Empty : ByteString.CopyFrom(r.Gateway.GetAddressBytes()),
                Device = names[r.OutputInterfaceIndex!.Value],
                Scope = r.Scope,
                Metric = r.Metric ?? 0,
                Source = r.PreferredSource is null ? ByteString.Empty : ByteString.CopyFrom(r.PreferredSource.GetAddressBytes()),
                Mtu = (uint)r.Mtu,
            });
        }

        return request;
    }
}
