namespace SevShim.Tasks;

/// <summary>The Connect RPC's answer: the shim's pid, the task's init pid (0 if unknown) and the shim version.</summary>
internal sealed record ConnectResult(uint ShimPid, uint TaskPid, string Version);
