using Qemu;
using SevShim.Errors;

namespace SevShim.Rootfs;

/// <summary>
/// The block rootfs of a container (ARCHITECTURE decision 7, rootfs.mode = "block"): an ext4
/// image made from the container's mounted rootfs with <c>mke2fs -t ext4 -d DIR</c> (e2fsprogs;
/// -d copies the tree with owners, modes, links and device nodes), attached to the pod's
/// virtio-scsi controller. The image is sparse: its size is the tree's size plus room for the
/// container's writes (<see cref="Size"/>), and only written blocks take host space. Writes stay
/// in the image (they do not reach containerd's snapshot), which goes when the container is deleted.
/// </summary>
internal static class RootfsImage
{
    // Room for what the container writes, on top of its files, and a floor for tiny images.
    private const long WritableHeadroom = 1L << 30;
    private const long MinimumSize = 256L << 20;
    private static readonly string[] Mke2fsCandidates = ["/usr/sbin/mke2fs", "/sbin/mke2fs", "/usr/bin/mke2fs"];

    /// <summary>The image size in bytes for a tree of <paramref name="usedBytes"/>: 1.25 x used plus 1 GiB, rounded to MiB.</summary>
    public static long Size(long usedBytes)
    {
        var size = Math.Max(MinimumSize, (usedBytes / 4 * 5) + WritableHeadroom);
        return (size + (1L << 20) - 1) & ~((1L << 20) - 1);
    }

    /// <summary>Writes the ext4 image of <paramref name="sourceDirectory"/> to <paramref name="imagePath"/> (replaced).</summary>
    public static async Task CreateAsync(string sourceDirectory, string imagePath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var mke2fs = Mke2fsCandidates.FirstOrDefault(File.Exists)
            ?? throw new ShimException(ShimErrorKind.FailedPrecondition, "sevshim: rootfs.mode = \"block\" needs mke2fs: install e2fsprogs (or, for pods without memory encryption only, set rootfs.mode = \"shared\")");
        var sizeKib = Size(UsedBytes(sourceDirectory)) / 1024;

        // -F: the target is a regular file. -E root_owner=0:0: the image's root directory
        // belongs to root, as a container image's "/" does (mke2fs would give it the caller's ids).
        var output = await ProcessRunner.RunAsync(
            mke2fs,
            ["-q", "-F", "-t", "ext4", "-L", "rootfs", "-E", "root_owner=0:0", "-d", sourceDirectory, imagePath, sizeKib.ToString(System.Globalization.CultureInfo.InvariantCulture) + "k"],
            timeout,
            cancellationToken).ConfigureAwait(false);
        if (output.ExitCode != 0)
        {
            TryDelete(imagePath);
            throw new ShimException(
                ShimErrorKind.Internal,
                $"sevshim: making the block rootfs image {imagePath} from {sourceDirectory} failed ({(output.TimedOut ? "timed out" : $"exit {output.ExitCode}")}): {output.StandardError.Trim()}");
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
