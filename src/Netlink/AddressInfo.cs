namespace Netlink;

/// <summary>An interface address as RTM_GETADDR describes it (scope: rtm_scope values, flags IFA_F_*).</summary>
public sealed record AddressInfo(int InterfaceIndex, System.Net.IPAddress Address, int PrefixLength, byte Scope, int Flags);
