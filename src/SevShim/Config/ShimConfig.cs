using Sev;
using Sev.Launch;

namespace SevShim.Config;

/// <summary>
/// The shim's effective configuration (ARCHITECTURE decision 10): built-in defaults overridden by
/// the TOML file that <see cref="ConfigLocator"/> picks. Immutable; one instance per pod, loaded
/// when the pod's first container is created.
/// </summary>
internal sealed record ShimConfig
{
    /// <summary>The file the values came from, or null for the built-in defaults alone.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The QEMU system emulator (vm.qemu).</summary>
    public string QemuPath { get; init; } = "/usr/bin/qemu-system-x86_64";

    /// <summary>The guest kernel (vm.kernel).</summary>
    public string KernelPath { get; init; } = "/usr/local/share/sevshim/vmlinuz";

    /// <summary>The guest initramfs holding the agent (vm.initrd).</summary>
    public string InitrdPath { get; init; } = "/usr/local/share/sevshim/initrd.img";

    /// <summary>
    /// OVMF firmware for confidential pods (vm.firmware). Measured direct boot needs edk2's AmdSev
    /// build (OvmfPkg/AmdSev), which Debian's ovmf package does not ship (SEV.md 2.4).
    /// </summary>
    public string FirmwarePath { get; init; } = "/usr/local/share/sevshim/OVMF.amdsev.fd";

    /// <summary>Virtual CPUs per pod VM (vm.vcpus).</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>Guest memory per pod VM in MiB (vm.memory_mib).</summary>
    public int MemoryMib { get; init; } = 2048;

    /// <summary>Required memory encryption (confidential.mode); the shipped default is SEV.</summary>
    public SevMode Confidential { get; init; } = SevMode.Sev;

    /// <summary>Explicit guest policy (confidential.policy), or null for the mode's default.</summary>
    public ulong? SevPolicyOverride { get; init; }

    /// <summary>Explicit swiotlb= slab count (confidential.swiotlb_slabs), or null for the computed one.</summary>
    public int? SwiotlbSlabsOverride { get; init; }

    /// <summary>Pre-attestation (confidential.attestation).</summary>
    public AttestationMode Attestation { get; init; } = AttestationMode.None;

    /// <summary>The guest owner's launch session blob, base64 (confidential.session_file; sevctl session's NAME_session.b64).</summary>
    public string? SessionFile { get; init; }

    /// <summary>The guest owner's Diffie-Hellman certificate, base64 (confidential.dh_cert_file; NAME_godh.b64).</summary>
    public string? DhCertFile { get; init; }

    /// <summary>The launch session's 16-byte transport integrity key (confidential.tik_file; NAME_tik.bin).</summary>
    public string? TikFile { get; init; }

    /// <summary>The launch session's 16-byte transport encryption key (confidential.tek_file; NAME_tek.bin).</summary>
    public string? TekFile { get; init; }

    /// <summary>The secret injected into the guest before it runs (confidential.secret_file).</summary>
    public string? SecretFile { get; init; }

    /// <summary>The GUID the guest sees the secret under, /sys/kernel/security/secrets/coco/&lt;GUID&gt; (confidential.secret_guid).</summary>
    public Guid? SecretGuid { get; init; }

    /// <summary>
    /// Accepted launch digests, lower-case hex (confidential.launch_digests); empty: the shim
    /// computes the digest from vm.firmware, the kernel, the initrd and the command line it boots.
    /// </summary>
    public IReadOnlyList<string> LaunchDigests { get; init; } = [];

    /// <summary>
    /// AMD's ASK and ARK for the host's processor, PEM (confidential.amd_chain_file; the KDS
    /// cert_chain file, e.g. from `snphost fetch ca`): the ARK in it is the trust anchor of
    /// attestation "report".
    /// </summary>
    public string? AmdChainFile { get; init; }

    /// <summary>
    /// A folder of VCEK certificates (.der or .pem; confidential.vcek_dir), searched by chip id and
    /// TCB when the host supplies none with the report; null: the host's certificate table only.
    /// </summary>
    public string? VcekDir { get; init; }

    /// <summary>How container root filesystems reach the guest (rootfs.mode).</summary>
    public RootfsMode Rootfs { get; init; } = RootfsMode.Block;

    /// <summary>The agent channel (agent.transport).</summary>
    public AgentTransport AgentTransport { get; init; } = AgentTransport.Auto;

    /// <summary>How process stdio travels (agent.stdio): the stdio link, or gRPC streams (the older path, kept to compare and as a fallback).</summary>
    public StdioPath Stdio { get; init; } = StdioPath.Link;

    /// <summary>The in-guest agent's log level (agent.log_level): "debug", "info", "warning" or "error"; it reaches the guest as sevagent.log_level= on the kernel command line.</summary>
    public string AgentLogLevel { get; init; } = "info";

    /// <summary>QEMU start to agent ready (timeouts.boot_seconds).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>One connection attempt to the agent's channel (timeouts.agent_connect_seconds).</summary>
    public TimeSpan AgentConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Graceful VM power-off before QEMU is killed (timeouts.shutdown_seconds).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The daemon's minimum log level (log.level).</summary>
    public ShimLogLevel LogLevel { get; init; } = ShimLogLevel.Info;

    /// <summary>The built-in defaults, used when the default file does not exist.</summary>
    public static ShimConfig Defaults { get; } = new();

    /// <summary>
    /// The guest policy QEMU gets (src/Sev's <see cref="SevPolicy.Effective"/>: the override, else
    /// ARCHITECTURE decision 8's default for the mode); null when the pod is not confidential.
    /// </summary>
    public ulong? EffectiveSevPolicy =>
        Confidential == SevMode.None ? null : SevPolicy.Effective(Confidential, SevPolicyOverride);

    /// <summary>
    /// The guest kernel's swiotlb= slab count (src/Sev's <see cref="SwiotlbSize.Slabs"/>, which
    /// the launch plan uses too): the override, else computed from vm.memory_mib.
    /// </summary>
    public int EffectiveSwiotlbSlabs => SwiotlbSize.Slabs(MemoryMib, SwiotlbSlabsOverride);
}
