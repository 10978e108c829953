namespace SevShim.Sandbox;

/// <summary>Host-side settings of the QEMU sandbox that are not in the TOML configuration.</summary>
internal sealed record QemuSandboxOptions
{
    /// <summary>Where pods keep their state folders (tests use a temp folder).</summary>
    public string StateRoot { get; init; } = Qemu.PodStateLayout.DefaultRoot;

    /// <summary>
    /// How long an exit waits for the process's output to reach its FIFOs. Output ends when every
    /// writer closed it, which a background process holding stdout can delay without bound; the
    /// exit is then published anyway (and logged) rather than never.
    /// </summary>
    public TimeSpan OutputDrainLimit { get; init; } = TimeSpan.FromSeconds(15);
}
