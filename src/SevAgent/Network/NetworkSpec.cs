namespace SevAgent.Network;

/// <summary>The pod network as CNI configured its host twin (ConfigureNetwork): NICs and routes.</summary>
internal sealed record NetworkSpec(IReadOnlyList<InterfaceSpec> Interfaces, IReadOnlyList<RouteSpec> Routes);
