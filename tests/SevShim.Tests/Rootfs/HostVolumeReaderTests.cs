using SevShim.Errors;
using SevShim.Rootfs;
using TestSupport;

namespace SevShim.Tests.Rootfs;

/// <summary>Reading a host volume for its guest copy: kubelet's layout as links, nothing read outside the folder, limits, and change detection.</summary>
public sealed class HostVolumeReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-volume-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void A_kubelet_volume_is_read_parents_first_with_its_links_as_links()
    {
        var volume = Directory.CreateDirectory(Path.Combine(_dir.FullName, "cm")).FullName;
        KubeletVolume.Write(volume, "..2026_a", "key", "v1");

        var entries = HostVolumeReader.Read(new CopiedVolume("c1.0", volume, IsFile: false), "/etc/config");

        Assert.Equal(["..2026_a", "..data", "key", "..2026_a/key"], entries.Select(e => e.Path));
        Assert.Equal(VolumeEntryKind.Directory, entries[0].Kind);
        Assert.Equal(new[] { VolumeEntryKind.Symlink, VolumeEntryKind.Symlink }, entries.Skip(1).Take(2).Select(e => e.Kind));
        Assert.Equal("..2026_a", entries[1].LinkTarget);
        Assert.Equal("v1", System.Text.Encoding.UTF8.GetString(entries[3].Content.Span));
    }

    [Fact]
    public void A_link_out_of_the_volume_is_copied_as_a_link_and_never_followed()
    {
        var secret = Path.Combine(_dir.FullName, "secret");
        File.WriteAllText(secret, "host secret");
        var volume = Directory.CreateDirectory(Path.Combine(_dir.FullName, "v")).FullName;
        File.CreateSymbolicLink(Path.Combine(volume, "escape"), secret);

        var entry = Assert.Single(HostVolumeReader.Read(new CopiedVolume("c1.0", volume, IsFile: false), "/v"));

        Assert.Equal(VolumeEntryKind.Symlink, entry.Kind);
        Assert.Equal(secret, entry.LinkTarget);
        Assert.True(entry.Content.IsEmpty);
    }

    [Fact]
    public void A_volume_too_large_to_copy_is_refused_naming_it_and_the_fix()
    {
        var volume = Directory.CreateDirectory(Path.Combine(_dir.FullName, "big")).FullName;
        using (var f = File.Create(Path.Combine(volume, "blob")))
        {
            f.SetLength(HostVolumeReader.MaxBytes + 1);
        }

        var ex = Assert.Throws<ShimException>(() => HostVolumeReader.Read(new CopiedVolume("c1.0", volume, IsFile: false), "/big"));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(volume, ex.Message, StringComparison.Ordinal);
        Assert.Contains("rootfs.mode = \"shared\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("confidential.mode = \"none\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_over_either_limit_does_not_fit_the_copy_path_and_one_within_both_does()
    {
        var small = Directory.CreateDirectory(Path.Combine(_dir.FullName, "small")).FullName;
        KubeletVolume.Write(small, "..2026_a", "key", "v1");
        Assert.True(HostVolumeReader.FitsCopy(new CopiedVolume("c1.0", small, IsFile: false)));

        var many = Directory.CreateDirectory(Path.Combine(_dir.FullName, "many")).FullName;
        for (var i = 0; i < HostVolumeReader.MaxEntries; i++)
        {
            File.WriteAllBytes(Path.Combine(many, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), []);
        }

        // Exactly MaxEntries entries fit; one more does not.
        Assert.True(HostVolumeReader.FitsCopy(new CopiedVolume("c1.1", many, IsFile: false)));
        File.WriteAllBytes(Path.Combine(many, "one-more"), []);
        Assert.False(HostVolumeReader.FitsCopy(new CopiedVolume("c1.1", many, IsFile: false)));

        var big = Directory.CreateDirectory(Path.Combine(_dir.FullName, "big")).FullName;
        using (var f = File.Create(Path.Combine(big, "blob")))
        {
            f.SetLength(HostVolumeReader.MaxBytes);
        }

        Assert.True(HostVolumeReader.FitsCopy(new CopiedVolume("c1.2", big, IsFile: false)));
        File.WriteAllBytes(Path.Combine(big, "one-byte-more"), [1]);
        Assert.False(HostVolumeReader.FitsCopy(new CopiedVolume("c1.2", big, IsFile: false)));
    }

    [Fact]
    public void The_fingerprint_changes_with_kubelets_update_and_not_without_one()
    {
        var volume = Directory.CreateDirectory(Path.Combine(_dir.FullName, "cm")).FullName;
        KubeletVolume.Write(volume, "..2026_a", "key", "v1");
        var copy = new CopiedVolume("c1.0", volume, IsFile: false);
        var before = HostVolumeReader.Fingerprint(copy);

        Assert.Equal(before, HostVolumeReader.Fingerprint(copy));
        KubeletVolume.Write(volume, "..2026_b", "key", "v2");
        Assert.NotEqual(before, HostVolumeReader.Fingerprint(copy));
    }

    [Fact]
    public void A_single_file_volume_is_one_entry_with_an_empty_path()
    {
        var hosts = Path.Combine(_dir.FullName, "hosts");
        File.WriteAllText(hosts, "127.0.0.1 localhost\n");

        var entry = Assert.Single(HostVolumeReader.Read(new CopiedVolume("c1.1", hosts, IsFile: true), "/etc/hosts"));

        Assert.Equal(string.Empty, entry.Path);
        Assert.Equal(VolumeEntryKind.File, entry.Kind);
        Assert.Equal("127.0.0.1 localhost\n", System.Text.Encoding.UTF8.GetString(entry.Content.Span));
    }
}
