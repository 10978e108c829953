using SevAgent.Guest;
using SevAgent.Hosting;
using SevAgent.Native;

namespace SevAgent.Tests.Unit;

public sealed class ParsingTests
{
    [Theory]
    [InlineData(0x0000, 0)]
    [InlineData(0x0100, 1)]
    [InlineData(0x8900, 137)]
    [InlineData(0x0009, 137)]
    [InlineData(0x000f, 143)]
    public void Exit_codes_follow_the_shell(int status, int expected) =>
        Assert.Equal(expected, ChildReaper.ExitCode(status));

    [Fact]
    public void Sev_status_bits_are_decoded()
    {
        var s = GuestInfoReader.Decode(0b111);
        Assert.True(s.Sev && s.SevEs && s.Snp);
        var none = GuestInfoReader.Decode(0);
        Assert.False(none.Sev || none.SevEs || none.Snp);
        var sevOnly = GuestInfoReader.Decode(1);
        Assert.True(sevOnly.Sev);
        Assert.False(sevOnly.SevEs);
    }

    [Fact]
    public void Missing_msr_device_is_unknown_with_the_reason()
    {
        var s = GuestInfoReader.ReadSev("/nonexistent/msr", "/nonexistent/kmsg");
        Assert.False(s.Known);
        Assert.Contains("modprobe msr", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Meminfo_is_read_in_bytes()
    {
        var m = GuestInfoReader.ParseMeminfo("MemTotal:        2048 kB\nMemAvailable:    1024 kB\nHugePages_Total:       0\n");
        Assert.Equal(2048UL * 1024, m["MemTotal"]);
        Assert.Equal(0UL, m["HugePages_Total"]);
    }

    [Fact]
    public void Mountinfo_mount_points_are_unescaped()
    {
        var points = MountInfo.MountPoints(
            "22 1 0:21 / /run rw,nosuid - tmpfs tmpfs rw\n23 1 0:22 / /mnt/a\\040b rw - tmpfs tmpfs rw\n");
        Assert.Contains("/run", points);
        Assert.Contains("/mnt/a b", points);
    }

    [Fact]
    public void Options_parse_listen_and_dirs()
    {
        var o = AgentOptions.Parse(["--listen", "unix:/tmp/a.sock", "--state-dir", "/tmp/s", "--share-dir", "/tmp/sh", "--cgroup-parent", "/t/x/"]);
        Assert.Equal(ListenKind.Unix, o.Listen);
        Assert.Equal("/tmp/a.sock", o.ListenTarget);
        Assert.Equal("/tmp/s", o.StateDir);
        Assert.True(o.ShareDirGiven);
        Assert.Equal("t/x", o.CgroupParent);

        Assert.Equal("p.1", AgentOptions.Parse(["--listen", "virtio-serial:p.1"]).ListenTarget);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--listen", "tcp:1")]
    [InlineData("--listen", "vsock:1024")]
    [InlineData("--vsock")]
    [InlineData("--state-dir")]
    [InlineData("--cgroup-parent", "../x")]
    public void Options_reject_bad_flags(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => AgentOptions.Parse(args));
        Assert.Contains(args[0], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Virtio_port_is_found_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("vports-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "vport0p0"));
            File.WriteAllText(Path.Combine(dir, "vport0p0", "name"), "org.qemu.guest_agent.0\n");
            Directory.CreateDirectory(Path.Combine(dir, "vport0p1"));
            File.WriteAllText(Path.Combine(dir, "vport0p1", "name"), "sevagent.0\n");

            Assert.Equal("/dev/vport0p1", SevAgent.Transport.VirtioSerialBridge.FindPort("sevagent.0", dir));
            Assert.Null(SevAgent.Transport.VirtioSerialBridge.FindPort("other", dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
