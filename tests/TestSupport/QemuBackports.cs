namespace TestSupport;

/// <summary>
/// QEMU 10 from Debian's bookworm-backports as scripts/qemu-backports.sh unpacks it (Debian 12's
/// own 7.2 has no sev-snp-guest): SEVSHIM_QEMU_CACHE, else /var/cache/sevshim/qemu, else
/// artifacts/qemu-cache; the series link "10" inside.
/// </summary>
public static class QemuBackports
{
    /// <summary>The unpacked package tree (usr/bin, usr/share/qemu).</summary>
    public static string Root => Path.Combine(FetchCache.Dir("SEVSHIM_QEMU_CACHE", "qemu"), "10");

    /// <summary>Its qemu-system-x86_64.</summary>
    public static string Binary => Path.Combine(Root, "usr", "bin", "qemu-system-x86_64");

    /// <summary>Its data folder (ROMs, keymaps), for -L: the binary would otherwise read the system's 7.2 data.</summary>
    public static string DataDir => Path.Combine(Root, "usr", "share", "qemu");
}
