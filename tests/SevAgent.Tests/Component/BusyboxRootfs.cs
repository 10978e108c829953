using System.Diagnostics;

namespace SevAgent.Tests.Component;

/// <summary>A minimal rootfs: Debian's static busybox with a symlink per applet, and the usual mount points.</summary>
internal static class BusyboxRootfs
{
    public const string Busybox = "/bin/busybox";

    public static void Create(string root)
    {
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        foreach (var dir in new[] { "proc", "sys", "dev", "tmp", "etc", "root" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        // File.Copy keeps the mode bits (0755) of Debian's busybox.
        File.Copy(Busybox, Path.Combine(bin, "busybox"), overwrite: true);
        foreach (var applet in Applets())
        {
            var link = Path.Combine(bin, applet);
            if (!File.Exists(link) && applet != "busybox")
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    }

    private static List<string> Applets()
    {
        var psi = new ProcessStartInfo(Busybox, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var list = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        p.WaitForExit();
        return list.Count > 0 ? list : ["sh", "echo", "cat", "sleep", "stty", "dd", "head", "kill", "true", "false"];
    }
}
