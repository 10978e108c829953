using System.Buffers.Binary;
using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// Container root file systems for the tests: the host's static busybox (Debian busybox-static)
/// at /bin/busybox with a symlink per applet, the usual mount points (proc, sys, dev, tmp, plus
/// data for the tests' bind mounts) and an /etc/passwd naming root. Static, so the rootfs needs
/// no libraries. scripts/make-busybox-image.sh builds the same tree as an OCI image for ctr.
/// </summary>
public static class BusyboxRootfs
{
    private static readonly Lazy<(string Path, string[] Applets)> Busybox = new(FindBusybox);

    /// <summary>Null when a static busybox is available, else the reason and the fix.</summary>
    public static string? Missing()
    {
        try
        {
            _ = Busybox.Value;
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>Fills <paramref name="root"/> (created when missing) and returns it.</summary>
    public static string Create(string root)
    {
        var (busybox, applets) = Busybox.Value;
        foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "root", "data" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        // File.Copy keeps the mode bits (0755) of Debian's busybox.
        File.Copy(busybox, Path.Combine(root, "bin", "busybox"), overwrite: true);
        foreach (var applet in applets)
        {
            var link = Path.Combine(root, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        return root;
    }

    private static (string, string[]) FindBusybox()
    {
        var path = Prerequisites.FindTool("busybox")
            ?? throw new InvalidOperationException("busybox not found: apt-get install busybox-static");
        if (HasInterpreter(path))
        {
            throw new InvalidOperationException($"{path} is dynamically linked: apt-get install busybox-static");
        }

        using var list = Process.Start(new ProcessStartInfo(path, "--list")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{path} --list did not start");
        var applets = list.StandardOutput.ReadToEnd()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => a != "busybox" && !a.Contains('/', StringComparison.Ordinal))
            .ToArray();
        list.WaitForExit();
        if (applets.Length == 0)
        {
            throw new InvalidOperationException($"{path} --list named no applets: apt-get install --reinstall busybox-static");
        }

        return (path, applets);
    }

    /// <summary>True when the ELF64 file has a PT_INTERP program header (is dynamically linked).</summary>
    private static bool HasInterpreter(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[4] != 2)
        {
            throw new InvalidOperationException($"{path} is not an ELF64 executable: apt-get install busybox-static");
        }

        var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(0x20));
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x36));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x38));
        const uint PtInterp = 3;
        for (var i = 0; i < phnum; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(phoff + (i * phentsize))) == PtInterp)
            {
                return true;
            }
        }

        return false;
    }
}
