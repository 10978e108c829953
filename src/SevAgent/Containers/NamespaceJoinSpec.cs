namespace SevAgent.Containers;

/// <summary>Join the namespace of OCI type <see cref="Type"/> of another container of the pod.</summary>
internal sealed record NamespaceJoinSpec(string Type, string ContainerId);
