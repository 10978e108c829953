using System.Net;
using System.Net.Sockets;

namespace Netlink;

/// <summary>
/// A route as rtnetlink describes it (linux/rtnetlink.h). <see cref="Destination"/> null: the
/// default route of <see cref="Family"/>. Zero for <see cref="Protocol"/>, <see cref="Type"/> and
/// <see cref="Table"/> means "the usual" when adding (boot, unicast, main). <see cref="Mtu"/> 0:
/// no RTAX_MTU metric.
/// </summary>
public sealed record RouteInfo(
    AddressFamily Family,
    IPAddress? Destination,
    int PrefixLength,
    IPAddress? Gateway,
    int? OutputInterfaceIndex,
    IPAddress? PreferredSource,
    byte Scope,
    byte Protocol,
    byte Type,
    uint Table,
    uint? Metric,
    int Mtu);
