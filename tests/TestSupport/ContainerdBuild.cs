using System.Collections.Concurrent;
using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// One containerd of the test matrix (issue 17): "1.6" is the host's Debian 12 package on PATH;
/// "1.7" (Debian 13) and "2.1" (Debian unstable) are the single packages
/// scripts/containerd-matrix.sh unpacks into <see cref="CacheDir"/>/&lt;series&gt;. Each build
/// brings its own ctr and, for the unpacked ones, its own containerd-shim-runc-v2 (the folder of
/// its binaries goes first on the instance's PATH, after the sevshim shim's folder).
/// </summary>
public sealed class ContainerdBuild
{
    /// <summary>The host's containerd (Debian 12): the full suites run on it.</summary>
    public const string Host = "1.6";

    /// <summary>Every build the matrix knows, oldest first.</summary>
    public static readonly IReadOnlyList<string> Labels = [Host, "1.7", "2.1"];

    private static readonly ConcurrentDictionary<string, ContainerdBuild> Known = new(StringComparer.Ordinal);
    private readonly Lazy<string> _version;

    private ContainerdBuild(string label, string? binDir)
    {
        Label = label;
        BinDir = binDir;
        _version = new Lazy<string>(ReadVersion);
    }

    /// <summary>"1.6", "1.7" or "2.1".</summary>
    public string Label { get; }

    /// <summary>The folder of the unpacked build's binaries; null for the host's (found on PATH).</summary>
    public string? BinDir { get; }

    /// <summary>The containerd binary.</summary>
    public string Containerd => BinDir is null ? Prerequisites.FindTool("containerd") ?? "containerd" : Path.Combine(BinDir, "containerd");

    /// <summary>This build's own ctr.</summary>
    public string Ctr => BinDir is null ? Prerequisites.FindTool("ctr") ?? "ctr" : Path.Combine(BinDir, "ctr");

    /// <summary>
    /// The config version the instance is given: 3 for 2.x (the CRI plugin split into
    /// io.containerd.cri.v1.runtime / .images), 2 for 1.6 and 1.7.
    /// </summary>
    public int ConfigVersion => Label.StartsWith("1.", StringComparison.Ordinal) ? 2 : 3;

    /// <summary>True for 2.x, whose ctr and config use the v2 names.</summary>
    public bool IsV2 => ConfigVersion == 3;

    /// <summary>
    /// The Debian package version: the .complete record's version= line for an unpacked build,
    /// else the last word of `containerd --version` ("1.6.20~ds1-1+deb12u3").
    /// </summary>
    public string Version => _version.Value;

    /// <summary>Where scripts/containerd-matrix.sh keeps the builds: SEVSHIM_CONTAINERD_CACHE, else /var/cache/sevshim/containerd, else artifacts/containerd-cache.</summary>
    public static string CacheDir => FetchCache.Dir("SEVSHIM_CONTAINERD_CACHE", "containerd");

    /// <summary>The build of <paramref name="label"/>.</summary>
    public static ContainerdBuild Of(string label)
    {
        if (!Labels.Contains(label))
        {
            throw new ArgumentException($"unknown containerd build '{label}'; the matrix has {string.Join(", ", Labels)}", nameof(label));
        }

        return Known.GetOrAdd(label, l => new ContainerdBuild(l, l == Host ? null : Path.Combine(CacheDir, l, "usr", "bin")));
    }

    /// <summary>A theory row's text ("2.1: 2.1.9+ds1-5"): the label before the colon, the version after, so the version is in the test output.</summary>
    public static ContainerdBuild FromRow(string row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var colon = row.IndexOf(':', StringComparison.Ordinal);
        return Of(colon < 0 ? row : row[..colon]);
    }

    /// <summary>The row text of this build.</summary>
    public string Row => $"{Label}: {Version}";

    /// <summary>Null when the build is there, else what is missing and how to get it.</summary>
    public string? Missing()
    {
        if (BinDir is null)
        {
            return Prerequisites.Check(Requirement.Containerd) ?? Prerequisites.Check(Requirement.Ctr);
        }

        var complete = Path.Combine(BinDir, "..", "..", ".complete");
        return File.Exists(complete) && File.Exists(Containerd) && File.Exists(Ctr)
            ? null
            : $"containerd {Label} not fetched into {Path.Combine(CacheDir, Label)}: run scripts/containerd-matrix.sh (scripts/deps.sh does)";
    }

    /// <inheritdoc/>
    public override string ToString() => Row;

    private string ReadVersion()
    {
        if (BinDir is not null)
        {
            var complete = Path.Combine(BinDir, "..", "..", ".complete");
            return File.Exists(complete)
                ? File.ReadLines(complete).Where(l => l.StartsWith("version=", StringComparison.Ordinal)).Select(l => l["version=".Length..]).FirstOrDefault() ?? "(no version in .complete)"
                : "(not fetched)";
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(Containerd, "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is null)
            {
                return "(containerd did not start)";
            }

            var text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return text.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(no version)";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"(containerd --version: {e.Message})";
        }
    }
}
