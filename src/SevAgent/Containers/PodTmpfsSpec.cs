namespace SevAgent.Containers;

/// <summary>A tmpfs of the pod's own (its /dev/shm), by plain name; size 0 means the kernel's default.</summary>
internal sealed record PodTmpfsSpec(string Name, ulong SizeBytes);
