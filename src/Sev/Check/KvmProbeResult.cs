namespace Sev.Check;

/// <summary>
/// What opening /dev/kvm showed: the KVM API version (KVM_GET_API_VERSION, 12 on every kernel since
/// 2.6.22), whether KVM_CREATE_VM worked, and the errno of the SEV probe QEMU itself uses
/// (KVM_MEMORY_ENCRYPT_OP with a NULL argument: 0 when SEV is enabled, ENOTTY when not; SEV.md 1.2).
/// </summary>
/// <param name="Exists">The device node exists.</param>
/// <param name="ApiVersion">KVM_GET_API_VERSION result, or null when it could not be asked.</param>
/// <param name="VmCreated">KVM_CREATE_VM returned a VM file descriptor.</param>
/// <param name="MemoryEncryptOpErrno">0 when KVM_MEMORY_ENCRYPT_OP(NULL) succeeded, else its errno; null when not asked.</param>
/// <param name="Error">The first failure (syscall and errno text), or null.</param>
public sealed record KvmProbeResult(bool Exists, int? ApiVersion, bool VmCreated, int? MemoryEncryptOpErrno, string? Error);
