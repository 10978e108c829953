namespace TestSupport;

/// <summary>
/// Where a fetch script (scripts/containerd-matrix.sh, scripts/qemu-backports.sh) keeps what it
/// unpacked, found the way the script chose it (guest-image/debian-apt.sh, private_cache_open):
/// the environment variable when set, else /var/cache/sevshim/&lt;name&gt;, else the tree's
/// artifacts/&lt;name&gt;-cache when only that exists.
/// </summary>
public static class FetchCache
{
    /// <summary>The cache folder of <paramref name="name"/> ("containerd", "qemu").</summary>
    public static string Dir(string environmentVariable, string name)
    {
        if (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } set)
        {
            return set;
        }

        var shared = Path.Combine("/var/cache/sevshim", name);
        var local = Path.Combine(RepoPaths.Root, "artifacts", name + "-cache");
        return Directory.Exists(shared) || !Directory.Exists(local) ? shared : local;
    }
}
