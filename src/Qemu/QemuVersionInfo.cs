namespace Qemu;

/// <summary>A QEMU version with its distribution package string (e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3").</summary>
/// <param name="Version">Upstream version number.</param>
/// <param name="Package">Package string, empty when QEMU reports none.</param>
public sealed record QemuVersionInfo(QemuVersion Version, string Package)
{
    /// <inheritdoc/>
    public override string ToString() => Package.Length == 0 ? Version.ToString() : $"{Version} ({Package})";
}
