using System.Security.Cryptography;
using System.Text;
using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class ShimSocketAddressTests
{
    [Fact]
    public void AddressIsSha256OfJoinedPartsUnderTheSocketDir()
    {
        // SHIM-PROTOCOL 4.4: "unix://" + "/run/containerd/s/" + hex(sha256(path.Join(address, ns, key))).
        // Pinned: printf '%s' /run/containerd/containerd.sock/default/abc | sha256sum
        var address = ShimSocketAddress.Compute("/run/containerd/containerd.sock", "default", "abc", "/run/containerd/s");
        Assert.Equal("unix:///run/containerd/s/8cb244a719603fe00870d5ce1d8e1f1db43a654cb993d107df1f1ae23ddffa59", address);
    }

    [Fact]
    public void PinnedValueMatchesTheFormula()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("/tmp/x/containerd.sock/k8s.io/sb1")));
        Assert.Equal("0454d85e8d121cfd1b9661d450c9eecdba315d0edd8912835abfc1269257ae75", expected);
        Assert.Equal("unix:///srv/s/" + expected, ShimSocketAddress.Compute("/tmp/x/containerd.sock", "k8s.io", "sb1", "/srv/s"));
    }

    [Fact]
    public void JoinCleansLikeGo()
    {
        // filepath.Join("/tmp//x/./containerd.sock/", "k8s.io", "sb1") == "/tmp/x/containerd.sock/k8s.io/sb1"
        Assert.Equal(
            ShimSocketAddress.Compute("/tmp/x/containerd.sock", "k8s.io", "sb1", "/srv/s"),
            ShimSocketAddress.Compute("/tmp//x/./containerd.sock/", "k8s.io", "sb1", "/srv/s/"));
    }

    [Theory]
    [InlineData("", ".")]
    [InlineData("/", "/")]
    [InlineData("//a//b/", "/a/b")]
    [InlineData("a/./b/../c", "a/c")]
    [InlineData("/../a", "/a")]
    [InlineData("../../a", "../../a")]
    [InlineData("a/..", ".")]
    public void CleanFollowsGoRules(string input, string expected) => Assert.Equal(expected, GoPath.Clean(input));

    [Fact]
    public void JoinSkipsEmptyElements() => Assert.Equal("a/b", GoPath.Join("", "a", "", "b"));

    [Fact]
    public void TooLongSocketPathIsRefused()
    {
        var dir = "/" + new string('d', 60);
        var e = Assert.Throws<ShimUsageException>(() => ShimSocketAddress.Compute("/a", "n", "k", dir));
        Assert.Contains("106", e.Message);
    }

    [Fact]
    public void SocketDirDefaultsAndOverrides()
    {
        Assert.Equal("/run/containerd/s", ShimSocketAddress.SocketDir(_ => null));
        Assert.Equal("/tmp/s", ShimSocketAddress.SocketDir(n => n == "SEVSHIM_SOCKET_DIR" ? "/tmp/s/" : null));
        Assert.Throws<ShimUsageException>(() => ShimSocketAddress.SocketDir(_ => "rel"));
    }

    [Fact]
    public void PathOfStripsTheScheme()
    {
        Assert.Equal("/run/x", ShimSocketAddress.PathOf("unix:///run/x"));
        Assert.Throws<ShimUsageException>(() => ShimSocketAddress.PathOf("/run/x"));
    }
}
