using System.Globalization;
using Qemu;
using SevShim.Errors;
using SevShim.Native;

namespace SevShim.Rootfs;

/// <summary>
/// The block rootfs of a container (ARCHITECTURE decision 7, rootfs.mode = "block"), or a volume
/// too large to copy (decision 16): an ext4 image made from the folder with
/// <c>mke2fs -t ext4 -d DIR</c> (e2fsprogs; -d copies the tree with owners, modes, links and device
/// nodes), attached to the pod's virtio-scsi controller. The image's root keeps the folder's
/// owner and mode and has no lost+found unless the folder has one, so the guest sees the tree
/// runc would. The image is sparse: its size is the tree's size plus room for the container's
/// writes (<see cref="Size"/>), and only written blocks take host space. Writes stay in the image
/// (they do not reach containerd's snapshot or the host folder), which goes when the container is deleted.
/// </summary>
internal static class RootfsImage
{
    // Room for what the container writes, on top of its files, and a floor for tiny images.
    private const long WritableHeadroom = 1L << 30;
    private const long MinimumSize = 256L << 20;
    private static readonly string[] Mke2fsCandidates = ["/usr/sbin/mke2fs", "/sbin/mke2fs", "/usr/bin/mke2fs"];
    private static readonly string[] DebugfsCandidates = ["/usr/sbin/debugfs", "/sbin/debugfs", "/usr/bin/debugfs"];
    private const UnixFileMode DefaultRootMode = (UnixFileMode)0x1ED; // 0755, what mke2fs gives the root

    /// <summary>The image size in bytes for a tree of <paramref name="usedBytes"/>: 1.25 x used plus 1 GiB, rounded to MiB.</summary>
    public static long Size(long usedBytes)
    {
        var size = Math.Max(MinimumSize, (usedBytes / 4 * 5) + WritableHeadroom);
        return (size + (1L << 20) - 1) & ~((1L << 20) - 1);
    }

    /// <summary>
    /// Writes the ext4 image of <paramref name="sourceDirectory"/> to <paramref name="imagePath"/>
    /// (replaced), with the file system label <paramref name="label"/> (at most 16 bytes): "rootfs",
    /// or "volume" for a volume too large to copy (decision 16), which gets the same headroom since
    /// a writable bind's writes stay in its image too.
    /// </summary>
    public static async Task CreateAsync(string sourceDirectory, string imagePath, string label, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var mke2fs = Mke2fsCandidates.FirstOrDefault(File.Exists)
            ?? throw new ShimException(ShimErrorKind.FailedPrecondition, "sevshim: rootfs.mode = \"block\" needs mke2fs: install e2fsprogs (or, for pods without memory encryption only, set rootfs.mode = \"shared\")");
        var sizeKib = Size(UsedBytes(sourceDirectory)) / 1024;

        // -F: the target is a regular file. -d copies what is below the source, not the source
        // itself, so the image's root directory gets the source's owner here (root_owner; mke2fs
        // would give it the caller's) and its mode below: a container sees "/" or a volume's root
        // as runc shows the host folder.
        var (uid, gid) = LibC.Owner(sourceDirectory) ?? (0, 0);
        var output = await ProcessRunner.RunAsync(
            mke2fs,
            ["-q", "-F", "-t", "ext4", "-L", label, "-E", string.Create(CultureInfo.InvariantCulture, $"root_owner={uid}:{gid}"), "-d", sourceDirectory, imagePath,
                sizeKib.ToString(CultureInfo.InvariantCulture) + "k"],
            timeout,
            cancellationToken).ConfigureAwait(false);
        Check(output, output.ExitCode == 0, imagePath, sourceDirectory);

        // What mke2fs adds that the folder does not have: its lost+found (a container would list
        // it in "/" or the volume, which runc does not show) and its root mode of 0755. debugfs
        // comes with mke2fs (e2fsprogs) and edits the image in place.
        var requests = new List<string>();
        if (!Directory.Exists(Path.Combine(sourceDirectory, "lost+found")))
        {
            requests.Add("rmdir /lost+found");
        }

        var mode = File.GetUnixFileMode(sourceDirectory);
        if (mode != DefaultRootMode)
        {
            requests.Add(string.Create(CultureInfo.InvariantCulture, $"sif / mode 0{Convert.ToString(0x4000 | (int)mode, 8)}"));
        }

        var debugfs = DebugfsCandidates.FirstOrDefault(File.Exists) ?? Path.Combine(Path.GetDirectoryName(mke2fs)!, "debugfs");
        foreach (var request in requests)
        {
            var edit = await ProcessRunner.RunAsync(debugfs, ["-w", "-R", request, imagePath], timeout, cancellationToken).ConfigureAwait(false);

            // debugfs exits 0 when a request fails; it prints its banner line and then the error.
            var errors = edit.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal));
            Check(edit, edit.ExitCode == 0 && !errors.Any(), imagePath, sourceDirectory);
        }
    }

    private static void Check(ProcessOutput output, bool succeeded, string imagePath, string sourceDirectory)
    {
        if (!succeeded)
        {
            TryDelete(imagePath);
            throw new ShimException(
                ShimErrorKind.Internal,
                $"sevshim: making the ext4 image {imagePath} from {sourceDirectory} failed ({(output.TimedOut ? "timed out" : $"exit {output.ExitCode}")}): {output.StandardError.Trim()}");
        }
    }

    /// <summary>Removes an image; a missing one is fine.</summary>
    public static void TryDelete(string imagePath)
    {
        try
        {
            File.Delete(imagePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The pod's state folder, which holds it, is removed at shutdown anyway.
        }
    }

    // The apparent size of the tree's regular files (symlinks not followed, other mounts included:
    // the rootfs is usually an overlay of several layers).
    private static long UsedBytes(string directory)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        long total = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", options))
        {
            total += file.Length;
        }

        return total;
    }
}
