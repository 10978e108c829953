using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class ShimArgumentParserTests
{
    [Fact]
    public void Containerd16StartArgvIsParsed()
    {
        // SHIM-PROTOCOL 4.2, observed argv of containerd 1.6.20 with debug logging.
        var a = ShimArgumentParser.Parse(["-namespace", "default", "-address", "/run/containerd/containerd.sock",
            "-publish-binary", "/usr/bin/containerd", "-id", "c1", "-debug", "start"]);
        Assert.Equal("Start", a.Action.ToString());
        Assert.Equal("default", a.Namespace);
        Assert.Equal("/run/containerd/containerd.sock", a.Address);
        Assert.Equal("/usr/bin/containerd", a.PublishBinary);
        Assert.Equal("c1", a.Id);
        Assert.True(a.Debug);
        Assert.Equal(string.Empty, a.Bundle);
    }

    [Fact]
    public void Containerd16DeleteArgvIsParsed()
    {
        var a = ShimArgumentParser.Parse(["-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
            "-publish-binary", "/usr/bin/containerd", "-id", "c2", "-bundle", "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c2", "delete"]);
        Assert.Equal("Delete", a.Action.ToString());
        Assert.Equal("/run/containerd/io.containerd.runtime.v2.task/k8s.io/c2", a.Bundle);
        Assert.False(a.Debug);
    }

    [Fact]
    public void NoActionIsTheDaemon()
    {
        var a = ShimArgumentParser.Parse(["-namespace", "ns", "-id", "x", "-address", "/a"]);
        Assert.Equal("Daemon", a.Action.ToString());
    }

    [Fact]
    public void GoSyntaxVariantsAreAccepted()
    {
        var a = ShimArgumentParser.Parse(["--namespace=ns", "-id=x", "--address", "/a", "-debug=false", "--bundle=/b", "start"]);
        Assert.Equal("ns", a.Namespace);
        Assert.Equal("x", a.Id);
        Assert.Equal("/a", a.Address);
        Assert.Equal("/b", a.Bundle);
        Assert.False(a.Debug);
    }

    [Fact]
    public void DoubleDashEndsFlags()
    {
        var a = ShimArgumentParser.Parse(["--", "version"]);
        Assert.Equal("Version", a.Action.ToString());
    }

    [Theory]
    [InlineData("version", "Version")]
    [InlineData("config", "Config")]
    [InlineData("check", "Check")]
    [InlineData("measure", "Measure")]
    public void AdminVerbsNeedNoFlags(string verb, string action) =>
        Assert.Equal(action, ShimArgumentParser.Parse([verb]).Action.ToString());

    [Fact]
    public void GoShimVersionFlagIsVersion() =>
        Assert.Equal("Version", ShimArgumentParser.Parse(["-v"]).Action.ToString());

    [Fact]
    public void InfoFlagIsRecognised() =>
        Assert.Equal("Info", ShimArgumentParser.Parse(["-info"]).Action.ToString());

    [Fact]
    public void WordsAfterAnAdminVerbAreKept()
    {
        var a = ShimArgumentParser.Parse(["measure", "--mode", "sev", "--firmware", "/f"]);
        Assert.Equal(["--mode", "sev", "--firmware", "/f"], a.Rest);
    }

    [Fact]
    public void UnknownFlagIsAnError()
    {
        var e = Assert.Throws<ShimUsageException>(() => ShimArgumentParser.Parse(["-nope", "start"]));
        Assert.Contains("-nope", e.Message);
    }

    [Fact]
    public void UnknownActionIsAnError()
    {
        var e = Assert.Throws<ShimUsageException>(() => ShimArgumentParser.Parse(["-namespace", "n", "frobnicate"]));
        Assert.Contains("\"frobnicate\"", e.Message);
    }

    [Fact]
    public void MissingFlagValueIsAnError()
    {
        var e = Assert.Throws<ShimUsageException>(() => ShimArgumentParser.Parse(["-id"]));
        Assert.Contains("-id", e.Message);
    }

    [Fact]
    public void BadBooleanIsAnError()
    {
        var e = Assert.Throws<ShimUsageException>(() => ShimArgumentParser.Parse(["-debug=yes", "version"]));
        Assert.Contains("-debug", e.Message);
    }

    [Theory]
    [InlineData("start", "id")]
    [InlineData("delete", "namespace")]
    public void ContainerdActionsNeedTheirFlags(string action, string missing)
    {
        var args = new List<string> { "-address", "/a" };
        if (missing != "id")
        {
            args.AddRange(["-id", "x"]);
        }

        if (missing != "namespace")
        {
            args.AddRange(["-namespace", "n"]);
        }

        args.Add(action);
        var e = Assert.Throws<ShimUsageException>(() => ShimArgumentParser.Parse(args));
        Assert.Contains($"-{missing}", e.Message);
    }
}
