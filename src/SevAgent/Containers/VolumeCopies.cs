using Microsoft.Extensions.Logging;
using SevAgent.Errors;
using SevAgent.Hosting;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// The guest copies of host volumes in rootfs mode "block" (ARCHITECTURE decision 16): the host
/// sends a volume's whole content (SyncVolume) before the container that mounts it is created and
/// again each time it changes on the host (a configmap, secret or token update); this makes
/// &lt;state-dir&gt;/volumes/&lt;name&gt; equal to it. The host is not trusted: every path is
/// checked, and nothing is written below a symlink, so a volume can never reach outside its
/// folder. Replacement is per entry and atomic (write beside, rename over), so kubelet's
/// "..data" symlink swap reaches the container as one step, as with a bind of the host folder.
/// Lock: <see cref="_gate"/> serialises syncs and removals (rare, small).
/// </summary>
internal sealed class VolumeCopies : IDisposable
{
    private const string TempSuffix = ".sevsync-tmp";
    private readonly string _root;
    private readonly ILogger<VolumeCopies> _log;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public VolumeCopies(AgentOptions options, ILogger<VolumeCopies> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _root = Path.Combine(options.StateDir, "volumes");
        _log = log;
    }

    /// <summary>Applies one volume's content.</summary>
    public async Task SyncAsync(VolumeSyncSpec request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        PathGuard.CheckId(request.Name, "SyncVolume name");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var dir = Directory.CreateDirectory(Path.Combine(_root, request.Name)).FullName;
            if (request.SingleFile)
            {
                WriteSingleFile(Path.Combine(dir, "file"), request);
            }
            else
            {
                SyncTree(Directory.CreateDirectory(Path.Combine(dir, "tree")).FullName, request);
            }

            _log.LogDebug("volume {Name} synced: {Count} entries", request.Name, request.Entries.Count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AgentException.Internal($"writing the guest copy of volume {request.Name}: {e.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The guest path of a synced volume (FAILED_PRECONDITION when it was never synced).</summary>
    public string Resolve(string name, string what)
    {
        PathGuard.CheckId(name, what);
        var dir = Path.Combine(_root, name);
        var file = Path.Combine(dir, "file");
        var tree = Path.Combine(dir, "tree");
        return File.Exists(file) ? file
            : Directory.Exists(tree) ? tree
            : throw AgentException.FailedPrecondition($"{what}: volume {name} was not synced: call SyncVolume before CreateContainer");
    }

    /// <summary>Removes the copies whose names start with "&lt;containerId&gt;." (the container is gone).</summary>
    public void Forget(string containerId)
    {
        if (!Directory.Exists(_root))
        {
            return;
        }

        _gate.Wait();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(_root, containerId + ".*"))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.LogWarning("removing volume copy {Dir}: {Error}", dir, e.Message);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    // chmod(2), not File.SetUnixFileMode: it sets the set-id and sticky bits too.
    private static void Chmod(string path, uint mode)
    {
        if (Posix.chmod(path, mode & 0xFFF) < 0)
        {
            throw new IOException($"chmod {Convert.ToString(mode & 0xFFF, 8)} {path}: {Posix.LastError()}");
        }
    }

    // A file bind mount pins the inode: the new content goes into the same file.
    private static void WriteSingleFile(string path, VolumeSyncSpec request)
    {
        if (request.Entries.Count != 1 || request.Entries[0].Kind != VolumeEntryType.File)
        {
            throw AgentException.InvalidArgument($"volume {request.Name} is a single file: give exactly one file entry");
        }

        var entry = request.Entries[0];
        using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write))
        {
            stream.SetLength(0);
            stream.Write(entry.Content.Span);
        }

        Chmod(path, entry.Mode);
    }

    private void SyncTree(string tree, VolumeSyncSpec request)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in request.Entries)
        {
            var relative = CheckPath(entry.Path, request.Name);
            var target = Path.Combine(tree, relative);
            RequireRealParents(tree, relative, request.Name);
            wanted.Add(relative);
            switch (entry.Kind)
            {
                case VolumeEntryType.Directory:
                    if (new FileInfo(target) is { LinkTarget: not null } || File.Exists(target))
                    {
                        File.Delete(target);
                    }

                    Directory.CreateDirectory(target);
                    Chmod(target, entry.Mode);
                    break;
                case VolumeEntryType.File:
                    ReplaceWith(target, temp =>
                    {
                        File.WriteAllBytes(temp, entry.Content.Span);
                        Chmod(temp, entry.Mode);
                    });
                    break;
                case VolumeEntryType.Symlink:
                    ReplaceWith(target, temp => File.CreateSymbolicLink(temp, entry.LinkTarget));
                    break;
                default:
                    throw AgentException.InvalidArgument($"volume {request.Name}: entry {relative} has an unknown kind {entry.Kind}");
            }
        }

        RemoveUnlisted(tree, tree, wanted);
    }

    // Writes beside the target and renames over it (atomic for files and symlinks); a directory
    // in the way is removed first.
    private static void ReplaceWith(string target, Action<string> write)
    {
        var temp = target + TempSuffix;
        if (new FileInfo(temp) is { Exists: true } or { LinkTarget: not null })
        {
            File.Delete(temp);
        }

        write(temp);
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
        {
            Directory.Delete(target, recursive: true);
        }

        if (Native.LibC.rename(temp, target) < 0)
        {
            throw new IOException($"rename {temp} to {target}: {Posix.LastError()}");
        }
    }

    private void RemoveUnlisted(string tree, string dir, HashSet<string> wanted)
    {
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var relative = Path.GetRelativePath(tree, info.FullName);
            if (info is DirectoryInfo { LinkTarget: null } sub)
            {
                if (!wanted.Contains(relative))
                {
                    sub.Delete(recursive: true);
                    continue;
                }

                RemoveUnlisted(tree, sub.FullName, wanted);
            }
            else if (!wanted.Contains(relative))
            {
                info.Delete();
                _log.LogTrace("removed {Entry} from a volume copy", relative);
            }
        }
    }

    private static string CheckPath(string path, string volume)
    {
        var segments = path.Split('/');
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal) || path.StartsWith('/') ||
            segments.Any(s => s.Length == 0 || s is "." or ".." || s.EndsWith(TempSuffix, StringComparison.Ordinal)))
        {
            throw AgentException.InvalidArgument($"volume {volume}: entry path '{path}' is not a plain relative path (no leading '/', no empty, '.' or '..' segments)");
        }

        return path;
    }

    // Every parent of an entry must be a real directory of the copy: an earlier entry that is a
    // symlink must never let a later one write outside the volume.
    private static void RequireRealParents(string tree, string relative, string volume)
    {
        var current = tree;
        var segments = relative.Split('/');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            current = Path.Combine(current, segments[i]);
            var info = new DirectoryInfo(current);
            if (!info.Exists || info.LinkTarget is not null)
            {
                throw AgentException.InvalidArgument($"volume {volume}: entry '{relative}' lies under '{Path.GetRelativePath(tree, current)}', which is not a directory of the volume (list a directory before its children)");
            }
        }
    }
}
