namespace Sev.Check;

/// <summary>The result of the host check: every item, the facts for launching, and per-mode readiness.</summary>
public sealed class HostReport
{
    public HostReport(Distribution distribution, IReadOnlyList<CheckItem> items, SevHostFacts facts, IReadOnlyList<QemuBinaryReport>? qemuBinaries = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        Distribution = distribution;
        Items = items;
        Facts = facts;
        QemuBinaries = qemuBinaries ?? [];
        Modes = SevModeNames.Confidential
            .Select(m => new ModeReadiness(m, !items.Any(i => i.Blocks(m)), items.Where(i => i.Blocks(m)).ToArray()))
            .ToArray();
    }

    /// <summary>The distribution the fixes are written for.</summary>
    public Distribution Distribution { get; }

    /// <summary>Items in check order.</summary>
    public IReadOnlyList<CheckItem> Items { get; }

    /// <summary>Values the launch plan uses (C-bit, reduced-phys-bits, QEMU version).</summary>
    public SevHostFacts Facts { get; }

    /// <summary>Every QEMU binary the check knows of (vm.qemu first) and the modes each can launch.</summary>
    public IReadOnlyList<QemuBinaryReport> QemuBinaries { get; }

    /// <summary>Readiness of sev, sev-es and sev-snp, in that order.</summary>
    public IReadOnlyList<ModeReadiness> Modes { get; }

    /// <summary>Readiness of one mode; <see cref="SevMode.None"/> is always ready.</summary>
    public ModeReadiness Readiness(SevMode mode) =>
        mode == SevMode.None ? new ModeReadiness(mode, true, []) : Modes.First(m => m.Mode == mode);

    /// <summary>True when pods of <paramref name="mode"/> can run here.</summary>
    public bool CanRun(SevMode mode) => Readiness(mode).Ready;
}
