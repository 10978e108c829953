namespace Qemu;

/// <summary>Values inside a QEMU option list (-object sev-guest,..., -drive file=..., -chardev path=...).</summary>
public static class QemuOptionValue
{
    /// <summary>
    /// A comma ends a value in QEMU's option syntax, so a literal comma is doubled (QemuOpts
    /// quoting, docs/system/invocation). Paths come from configuration or the pod's state folder,
    /// never from the guest; this keeps one with a comma from adding options.
    /// </summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace(",", ",,", StringComparison.Ordinal);
    }
}
