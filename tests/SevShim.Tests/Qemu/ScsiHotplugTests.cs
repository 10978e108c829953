using Sev.Tests.Attestation;
using SevShim.Errors;
using SevShim.Qemu;
using SevShim.Rootfs;
using SevShim.Tests.Boot;

namespace SevShim.Tests.Qemu;

/// <summary>The block rootfs disk hot-plug against a QMP peer replaying QEMU's answers.</summary>
public sealed class ScsiHotplugTests
{
    [Fact]
    public async Task AttachAddsARawNodeThenAScsiHdOnTheControllerAtANewTarget()
    {
        await using var peer = new FakeQmpPeer(r => [FakeQmpPeer.Return(r, "{}")]);
        await using var hotplug = new ScsiHotplug(peer.SocketPath, new FakeLogSink().CreateLogger());

        var first = await hotplug.AttachAsync("/run/sevshim/pod/disks/c1.ext4", CancellationToken.None);
        var second = await hotplug.AttachAsync("/run/sevshim/pod/disks/c2.ext4", CancellationToken.None);

        Assert.Equal(0u, first.Target);
        Assert.Equal(1u, second.Target);
        Assert.Equal(["blockdev-add", "device_add", "blockdev-add", "device_add"], peer.Commands);
        var add = peer.Received.First()["arguments"]!.AsObject();
        Assert.Equal("raw", add["driver"]!.GetValue<string>());
        Assert.Equal("/run/sevshim/pod/disks/c1.ext4", add["file"]!["filename"]!.GetValue<string>());
        var device = peer.Received.ElementAt(1)["arguments"]!.AsObject();
        Assert.Equal("scsi-hd", device["driver"]!.GetValue<string>());
        Assert.Equal("scsi0.0", device["bus"]!.GetValue<string>());
        Assert.Equal(0, device["scsi-id"]!.GetValue<int>());
        Assert.Equal(add["node-name"]!.GetValue<string>(), device["drive"]!.GetValue<string>());
        Assert.True(add["node-name"]!.GetValue<string>().Length < 32, "QEMU node names are limited to 31 characters");
    }

    [Fact]
    public async Task ARefusedDeviceRemovesItsNodeAndNamesQemusError()
    {
        await using var peer = new FakeQmpPeer(r => r["execute"]!.GetValue<string>() == "device_add"
            ? [FakeQmpPeer.Error(r, "GenericError", "Bus 'scsi0.0' not found")]
            : [FakeQmpPeer.Return(r, "{}")]);
        await using var hotplug = new ScsiHotplug(peer.SocketPath, new FakeLogSink().CreateLogger());

        var ex = await Assert.ThrowsAsync<ShimException>(() => hotplug.AttachAsync("/tmp/x.ext4", CancellationToken.None));

        Assert.Contains("Bus 'scsi0.0' not found", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["blockdev-add", "device_add", "blockdev-del"], peer.Commands);
    }

    [Fact]
    public async Task DetachDeletesTheDeviceThenItsNode()
    {
        await using var peer = new FakeQmpPeer(r => [FakeQmpPeer.Return(r, "{}")]);
        await using var hotplug = new ScsiHotplug(peer.SocketPath, new FakeLogSink().CreateLogger());
        var disk = await hotplug.AttachAsync("/tmp/x.ext4", CancellationToken.None);

        await hotplug.DetachAsync(disk);

        Assert.Equal(["blockdev-add", "device_add", "device_del", "blockdev-del"], peer.Commands);
        Assert.Equal(disk.DeviceId, peer.Received.ElementAt(2)["arguments"]!["id"]!.GetValue<string>());
        Assert.Equal(disk.NodeName, peer.Received.Last()["arguments"]!["node-name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(0L, 1L << 30)]
    [InlineData(10L << 20, (1L << 30) + (13L << 20))]
    [InlineData(1L << 30, (1L << 30) + (1280L << 20))]
    public void TheImageHasRoomForTheFilesAndTheContainersWrites(long used, long expected) =>
        Assert.Equal(expected, RootfsImage.Size(used));
}
