namespace TestSupport;

/// <summary>
/// Writes a folder as kubelet's atomic writer lays out a configmap, secret or projected volume:
/// the data in a timestamped folder, "..data" a symlink to it, and each key a symlink through
/// "..data". An update writes a new timestamped folder, swaps "..data" with one rename and
/// removes the old folder, so a reader sees the old or the new set, never a mix.
/// </summary>
public static class KubeletVolume
{
    /// <summary>Writes (or updates to) <paramref name="key"/> = <paramref name="content"/> under <paramref name="stamp"/>.</summary>
    public static void Write(string volume, string stamp, string key, string content)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var data = Path.Combine(volume, "..data");
        var previous = File.Exists(data) || Directory.Exists(data) ? new DirectoryInfo(data).LinkTarget : null;
        Directory.CreateDirectory(Path.Combine(volume, stamp));
        File.WriteAllText(Path.Combine(volume, stamp, key), content);
        var temp = Path.Combine(volume, "..data_tmp");
        if (new FileInfo(temp).LinkTarget is not null)
        {
            File.Delete(temp);
        }

        File.CreateSymbolicLink(temp, stamp);
        // rename(2) of a link over a link (File.Move refuses a link to a folder): mv -T does just that.
        using (var mv = System.Diagnostics.Process.Start("mv", ["-T", temp, data]))
        {
            mv.WaitForExit();
            if (mv.ExitCode != 0)
            {
                throw new IOException($"mv -T {temp} {data} exited {mv.ExitCode}");
            }
        }
        var keyLink = Path.Combine(volume, key);
        if (new FileInfo(keyLink).LinkTarget is null)
        {
            File.CreateSymbolicLink(keyLink, Path.Combine("..data", key));
        }

        if (previous is not null && previous != stamp)
        {
            Directory.Delete(Path.Combine(volume, previous), recursive: true);
        }
    }
}
