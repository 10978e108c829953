namespace SevShim.Agent;

/// <summary>A process in the pod VM as the agent names it: its container and exec id ("" for the init).</summary>
internal readonly record struct GuestProcessId(string ContainerId, string ExecId)
{
    /// <inheritdoc/>
    public override string ToString() => $"{ContainerId}/{ExecId}";
}
