using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace SevShim.IntegrationTests;

/// <summary>
/// Builds a tiny single-layer OCI image tarball without network: Debian's busybox-static as
/// /bin/busybox plus symlinks (sh, true, echo, sleep). The layer is an uncompressed tar, so its
/// digest is also its diff_id. The JSON documents follow the OCI image-spec (layout, index,
/// manifest, config); `ctr images import` names the image from io.containerd.image.name.
/// </summary>
internal static class OciTestImage
{
    public const string BusyboxPath = "/bin/busybox";

    /// <summary>Writes the tarball to <paramref name="tarPath"/> for image <paramref name="name"/>.</summary>
    public static void Write(string tarPath, string name)
    {
        var layer = Layer();
        var layerDigest = Digest(layer);
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["{{{layerDigest}}}"]}}""");
        var configDigest = Digest(config);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{configDigest}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{{layerDigest}}}","size":{{{layer.Length}}}}]}""");
        var manifestDigest = Digest(manifest);
        var index = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"{{{name}}}","org.opencontainers.image.ref.name":"latest"}}]}""");

        using var file = File.Create(tarPath);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        AddFile(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        AddFile(tar, "index.json", index);
        foreach (var blob in new[] { layer, config, manifest })
        {
            AddFile(tar, "blobs/sha256/" + Digest(blob)["sha256:".Length..], blob);
        }
    }

    private static byte[] Layer()
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0x1ed });
            var busybox = new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
            {
                Mode = (UnixFileMode)0x1ed,
                DataStream = new MemoryStream(File.ReadAllBytes(BusyboxPath)),
            };
            tar.WriteEntry(busybox);
            foreach (var applet in new[] { "sh", "true", "echo", "sleep", "cat" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0x1ff });
            }

            foreach (var dir in new[] { "proc/", "sys/", "dev/", "etc/", "tmp/" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0x1ed });
            }
        }

        return buffer.ToArray();
    }

    private static void AddFile(TarWriter tar, string name, byte[] content) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0x1a4, DataStream = new MemoryStream(content) });

    private static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
