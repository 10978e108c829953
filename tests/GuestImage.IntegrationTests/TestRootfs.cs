using System.Buffers.Binary;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>
/// Container root file systems made by the tests in a VM's 9p share: the host's static busybox
/// (package busybox-static) plus one symlink per applet. Static, so the rootfs needs no libraries.
/// </summary>
internal static class TestRootfs
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

    /// <summary>Creates share/rootfs/&lt;name&gt; and returns its path relative to the share root.</summary>
    public static string Create(string shareDir, string name)
    {
        var (busybox, applets) = Busybox.Value;
        var relative = Path.Combine("rootfs", name);
        var root = Path.Combine(shareDir, relative);
        foreach (var dir in new[] { "bin", "proc", "dev", "sys", "tmp", "etc", "data" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        File.Copy(busybox, Path.Combine(root, "bin", "busybox"));
        foreach (var applet in applets)
        {
            var link = Path.Combine(root, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/:/bin/sh\n");
        return relative;
    }

    private static (string, string[]) FindBusybox()
    {
        var path = Prerequisites.FindTool("busybox")
            ?? throw new InvalidOperationException("busybox not found: apt-get install busybox-static");
        if (HasInterpreter(path))
        {
            throw new InvalidOperationException($"{path} is dynamically linked: apt-get install busybox-static");
        }

        var list = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(path, "--list")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{path} --list did not start");
        var applets = list.StandardOutput.ReadToEnd()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => a != "busybox" && !a.Contains('/', StringComparison.Ordinal))
            .ToArray();
        list.WaitForExit();
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
