using Sev;

namespace SevShim.Config;

/// <summary>
/// The cross-key rule of [rootfs] (ARCHITECTURE decision 7): a confidential pod never gets a
/// host-shared file system. With rootfs.mode = "shared" the VM has a virtio-9p share of a host
/// folder, through which the host reads everything the guest writes there and can change a file
/// under the running guest, which is what memory encryption is meant to keep out; so "shared"
/// with any confidential.mode but "none" is an error, not a silent switch to "block".
/// </summary>
internal static class RootfsConfigCheck
{
    /// <summary>One message per problem, naming both keys, their lines and the fix.</summary>
    /// <param name="c">The parsed configuration.</param>
    /// <param name="source">The file, for the message.</param>
    /// <param name="lines">The line of each key the file set.</param>
    public static IEnumerable<string> Check(ShimConfig c, string source, IReadOnlyDictionary<string, int> lines)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(lines);
        if (c.Rootfs != RootfsMode.Shared || c.Confidential == SevMode.None)
        {
            yield break;
        }

        var where = lines.TryGetValue("rootfs.mode", out var line) ? $"{source}:{line}" : source;
        var mode = $"confidential.mode = \"{ConfigSchema.Format(c.Confidential)}\"" +
            (lines.TryGetValue("confidential.mode", out var modeLine) ? $" (line {modeLine})" : " (the default)");
        yield return $"{where}: key 'rootfs.mode' = \"shared\" cannot go with {mode}: a 9p share lets the host read and change " +
            "the confidential guest's files while it runs; set rootfs.mode = \"block\" (or remove it: \"block\" is the default " +
            "when confidential), or set confidential.mode = \"none\" for pods without memory encryption";
    }
}
