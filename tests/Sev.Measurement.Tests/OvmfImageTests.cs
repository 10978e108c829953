namespace Sev.Measurement.Tests;

public sealed class OvmfImageTests
{
    [Fact]
    public void AmdSev_suffix_declares_hashes_secret_reset_and_snp_sections()
    {
        var ovmf = OvmfImage.Load(VectorFiles.OvmfAmdSev);

        Assert.True(ovmf.HasFooterTable);
        Assert.Equal(0xFFFFF000UL, ovmf.Gpa);
        Assert.Equal(new OvmfArea(0x810C00, 0x400), ovmf.HashesTableArea);
        Assert.Equal(new OvmfArea(0x810000, 0xC00), ovmf.SecretArea);
        Assert.Equal(0x80B004U, ovmf.SevEsResetAddress);
        Assert.True(ovmf.SupportsKernelHashes);
        Assert.True(ovmf.HasSnpMetadata);

        // SEV.md 4.3: the SNP metadata of this fixture, in table order.
        SnpMetadataSection[] expected =
        [
            new(0x800000, 0x9000, SnpSectionType.SnpSecMem),
            new(0x80A000, 0x3000, SnpSectionType.SnpSecMem),
            new(0x80D000, 0x1000, SnpSectionType.SnpSecrets),
            new(0x80E000, 0x1000, SnpSectionType.Cpuid),
            new(0x80F000, 0x1000, SnpSectionType.SvsmCaa),
            new(0x810000, 0x1000, SnpSectionType.SnpKernelHashes),
            new(0x811000, 0xF000, SnpSectionType.SnpSecMem),
        ];
        Assert.Equal(expected, ovmf.SnpSections);
        Assert.True(ovmf.SupportsSnpKernelHashes);
        Assert.True(ovmf.TryGetEntry(OvmfGuids.TdxMetadata, out _));
    }

    [Fact]
    public void OvmfX64_suffix_has_no_usable_hashes_table()
    {
        var ovmf = OvmfImage.Load(VectorFiles.OvmfX64);

        Assert.True(ovmf.HasFooterTable);
        Assert.Equal(new OvmfArea(0, 0), ovmf.HashesTableArea);
        Assert.False(ovmf.SupportsKernelHashes);
        Assert.Equal(0x80B004U, ovmf.SevEsResetAddress);
        Assert.True(ovmf.HasSnpMetadata);
        Assert.DoesNotContain(ovmf.SnpSections, s => s.Type == SnpSectionType.SnpKernelHashes);
        Assert.False(ovmf.SupportsSnpKernelHashes);
    }

    [Fact]
    public void Sevctl_rhel9_image_has_hashes_table_but_no_snp_metadata()
    {
        var ovmf = OvmfImage.Load(VectorFiles.SevctlOvmf);

        Assert.True(ovmf.HasFooterTable);
        Assert.Equal(new OvmfArea(0x80CC00, 0x400), ovmf.HashesTableArea);
        Assert.Equal(new OvmfArea(0x80C000, 0xC00), ovmf.SecretArea);
        Assert.Equal(0x80B004U, ovmf.SevEsResetAddress);
        Assert.True(ovmf.SupportsKernelHashes);
        Assert.False(ovmf.HasSnpMetadata);
        Assert.Empty(ovmf.SnpSections);
        Assert.Equal(4, ovmf.FooterEntries.Count);
    }

    [Fact]
    public void Image_without_footer_guid_parses_with_no_entries()
    {
        var garbage = new byte[8192];
        new Random(42).NextBytes(garbage);

        var ovmf = OvmfImage.Parse(garbage);

        Assert.False(ovmf.HasFooterTable);
        Assert.Empty(ovmf.FooterEntries);
        Assert.Null(ovmf.HashesTableArea);
        Assert.Null(ovmf.SevEsResetAddress);
        Assert.False(ovmf.SupportsKernelHashes);
        Assert.False(ovmf.HasSnpMetadata);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(49)]
    public void Too_small_image_is_rejected_with_its_size(int size)
    {
        var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Parse(new byte[size]));
        Assert.Contains($"{size} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_image_whose_snp_metadata_is_cut_off_is_rejected()
    {
        var full = File.ReadAllBytes(VectorFiles.OvmfAmdSev);

        // Keep only the last 1 KiB: the footer table survives, the "ASEV" block does not.
        var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Parse(full.AsMemory(full.Length - 1024)));
        Assert.Contains("SNP metadata", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Footer_table_length_larger_than_image_is_rejected()
    {
        var image = File.ReadAllBytes(VectorFiles.OvmfAmdSev)[^200..];

        // Footer length field sits 50 bytes before the end; claim more than the image holds.
        image[^50] = 0xFF;
        image[^49] = 0x7F;
        var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Parse(image));
        Assert.Contains("footer table length", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entry_with_impossible_length_is_rejected()
    {
        var image = File.ReadAllBytes(VectorFiles.SevctlOvmf);

        // The first entry scanned (nearest the footer) has its u16 length 18 bytes before the footer header.
        var lengthOffset = image.Length - 32 - 18 - 18;
        image[lengthOffset] = 3;
        image[lengthOffset + 1] = 0;
        var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Parse(image));
        Assert.Contains("has length 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_metadata_with_wrong_signature_is_rejected()
    {
        var image = File.ReadAllBytes(VectorFiles.OvmfAmdSev);
        var ovmf = OvmfImage.Parse(image.ToArray());
        Assert.True(ovmf.TryGetEntry(OvmfGuids.SnpMetadata, out var entry));
        var start = image.Length - (int)BitConverter.ToUInt32(entry.Span);
        image[start] = (byte)'X';

        var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Parse(image));
        Assert.Contains("ASEV", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_rejects_a_file_far_larger_than_any_firmware()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var f = File.OpenWrite(path))
            {
                f.SetLength(OvmfImage.MaxImageSize + 1);
            }

            var ex = Assert.Throws<OvmfFormatException>(() => OvmfImage.Load(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
