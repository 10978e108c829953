namespace SevAgent.Containers;

/// <summary>Lifecycle of a container in the agent (runtime-spec states, plus Paused).</summary>
internal enum ContainerState
{
    Created,
    Running,
    Paused,
    Stopped,
}
