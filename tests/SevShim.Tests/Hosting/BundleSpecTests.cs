using System.Text;
using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class BundleSpecTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevshim-bundle-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void SandboxIdAnnotationGroupsThePod()
    {
        var spec = BundleSpec.Parse(Encoding.UTF8.GetBytes("""{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.sandbox-id":"sb1","io.kubernetes.cri.container-type":"container"}}"""), "c.json");
        Assert.Equal("sb1", spec.GroupKey("app1"));
    }

    [Fact]
    public void WithoutAnnotationTheContainerIdGroups()
    {
        Assert.Equal("c1", BundleSpec.Parse("""{"ociVersion":"1.0.2"}"""u8, "c.json").GroupKey("c1"));
        Assert.Equal("c1", BundleSpec.Parse("""{"annotations":{"io.kubernetes.cri.sandbox-id":""}}"""u8, "c.json").GroupKey("c1"));
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, "{\"annotations\": ");
        var e = Assert.Throws<ShimUsageException>(() => BundleSpec.Load(_dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void NonStringAnnotationIsRefused()
    {
        var e = Assert.Throws<ShimUsageException>(() => BundleSpec.Parse("""{"annotations":{"a":1}}"""u8, "/b/config.json"));
        Assert.Contains("\"a\"", e.Message);
    }

    [Fact]
    public void MissingConfigJsonNamesTheFile()
    {
        var e = Assert.Throws<ShimUsageException>(() => BundleSpec.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "config.json"), e.Message);
    }

    [Fact]
    public void MissingBundleNamesTheDirectory()
    {
        var missing = Path.Combine(_dir, "gone");
        var e = Assert.Throws<ShimUsageException>(() => BundleSpec.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    // Fuzz finding (Fuzz.Tests OciSpecFuzz): a lone surrogate escape in a name or a string made
    // JsonElement throw InvalidOperationException out of both spec readers (start's and the task
    // service's); now each gives its own error naming the file.
    [Theory]
    [InlineData("""{"linux":{"name\ud800spaces":[]}}""", "unpaired UTF-16 surrogate")]
    [InlineData("""{"annotations":{"a":"\udfff"}}""", "unpaired UTF-16 surrogate")]
    [InlineData("""{"annotations":{"a":"1"},"annotations":{"a":"2"}}""", "sets \"annotations\" twice")]
    public void SpecTextNoReaderCanUseIsTheReadersOwnError(string json, string message)
    {
        var start = Assert.Throws<ShimUsageException>(() => BundleSpec.Parse(Encoding.UTF8.GetBytes(json), "/b/config.json"));
        Assert.Contains("/b/config.json", start.Message, StringComparison.Ordinal);
        Assert.Contains(message, start.Message, StringComparison.Ordinal);
        var task = Assert.Throws<SevShim.Errors.ShimException>(() => SevShim.Tasks.BundleSpec.Parse(json, "/b/config.json"));
        Assert.Equal(SevShim.Errors.ShimErrorKind.InvalidArgument, task.Kind);
        Assert.Contains(message, task.Message, StringComparison.Ordinal);
    }
}
