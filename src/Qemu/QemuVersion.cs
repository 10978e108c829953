using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Qemu;

/// <summary>An upstream QEMU version (major.minor.micro), ordered numerically.</summary>
public readonly partial record struct QemuVersion(int Major, int Minor, int Micro) : IComparable<QemuVersion>
{
    /// <summary>Parses the first line of <c>qemu-system-x86_64 --version</c>
    /// ("QEMU emulator version 7.2.22 (Debian ...)") or a bare "7.2.22".</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out QemuVersionInfo? info)
    {
        info = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var m = VersionPattern().Match(text);
        if (!m.Success)
        {
            return false;
        }

        var micro = m.Groups["micro"].Success ? int.Parse(m.Groups["micro"].Value, CultureInfo.InvariantCulture) : 0;
        var version = new QemuVersion(
            int.Parse(m.Groups["major"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["minor"].Value, CultureInfo.InvariantCulture),
            micro);
        info = new QemuVersionInfo(version, m.Groups["package"].Success ? m.Groups["package"].Value.Trim() : string.Empty);
        return true;
    }

    /// <summary>Like <see cref="TryParse"/> but throws with the text quoted.</summary>
    public static QemuVersionInfo Parse(string text) =>
        TryParse(text, out var info)
            ? info
            : throw new FormatException($"not a QEMU version string: '{text}' (expected e.g. 'QEMU emulator version 7.2.0')");

    /// <inheritdoc/>
    public int CompareTo(QemuVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c != 0)
        {
            return c;
        }

        c = Minor.CompareTo(other.Minor);
        return c != 0 ? c : Micro.CompareTo(other.Micro);
    }

    /// <summary>True when this version is at least <paramref name="major"/>.<paramref name="minor"/>.</summary>
    public bool AtLeast(int major, int minor) => CompareTo(new QemuVersion(major, minor, 0)) >= 0;

    public static bool operator <(QemuVersion left, QemuVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(QemuVersion left, QemuVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(QemuVersion left, QemuVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(QemuVersion left, QemuVersion right) => left.CompareTo(right) >= 0;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Micro}");

    // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"; the prefix is optional so a
    // bare "9.1.0" parses too. Release candidates print "8.2.90" and sort correctly as numbers.
    [GeneratedRegex(@"^(?:.*?version\s+)?(?<major>\d+)\.(?<minor>\d+)(?:\.(?<micro>\d+))?(?:\s*\((?<package>[^)]*)\))?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
