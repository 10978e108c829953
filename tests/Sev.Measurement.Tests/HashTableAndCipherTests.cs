using System.Security.Cryptography;
using System.Text;

namespace Sev.Measurement.Tests;

public sealed class HashTableAndCipherTests
{
    [Fact]
    public void Hashes_table_has_qemu_layout_order_and_padding()
    {
        var table = KernelHashes.FromContents([], [], "console=ttyS0 loglevel=7").ToTable();

        Assert.Equal(176, table.Length);
        Assert.Equal(OvmfGuids.HashTableHeader, new Guid(table.AsSpan(0, 16)));
        Assert.Equal(168, BitConverter.ToUInt16(table, 16));
        (Guid Id, byte[] Hash)[] entries =
        [
            (OvmfGuids.HashTableCmdline, SHA256.HashData(Encoding.UTF8.GetBytes("console=ttyS0 loglevel=7\0"))),
            (OvmfGuids.HashTableInitrd, SHA256.HashData([])),
            (OvmfGuids.HashTableKernel, SHA256.HashData([])),
        ];
        for (var i = 0; i < entries.Length; i++)
        {
            var offset = 18 + (i * 50);
            Assert.Equal(entries[i].Id, new Guid(table.AsSpan(offset, 16)));
            Assert.Equal(50, BitConverter.ToUInt16(table, offset + 16));
            Assert.Equal(entries[i].Hash, table[(offset + 18)..(offset + 50)]);
        }

        Assert.All(table[168..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Absent_or_empty_command_line_hashes_a_single_nul(string? append)
    {
        var hashes = KernelHashes.FromContents([], [], append);

        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(hashes.Cmdline));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(hashes.Initrd));
    }

    [Fact]
    public void Hashes_from_files_equal_hashes_from_contents()
    {
        var kernel = VectorFiles.Sevctl("measurement", "vmlinuz-fake");
        var initrd = VectorFiles.Sevctl("measurement", "initrd-fake");

        var fromFiles = KernelHashes.FromFiles(kernel, initrd, "a b");
        var fromContents = KernelHashes.FromContents(File.ReadAllBytes(kernel), File.ReadAllBytes(initrd), "a b");

        Assert.Equal(fromContents.ToTable(), fromFiles.ToTable());
        Assert.Equal(SHA256.HashData("fake vmlinuz\n"u8), fromFiles.Kernel.ToArray());
    }

    [Fact]
    public void Snp_hashes_page_places_the_table_at_the_offset_in_page()
    {
        var table = KernelHashes.FromContents([], [], null).ToTable();

        var page = SevHashTable.BuildPage(table, 0xC00);

        Assert.Equal(4096, page.Length);
        Assert.Equal(table, page[0xC00..(0xC00 + 176)]);
        Assert.Equal(176, page.Count(b => b != 0) + table.Count(b => b == 0));
        Assert.Throws<MeasurementException>(() => SevHashTable.BuildPage(table, 4000));
    }

    [Fact]
    public void Aes_ctr_carries_the_counter_across_bytes()
    {
        var key = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var iv = new byte[16];
        iv.AsSpan(8).Fill(0xFF);

        var stream = AesCtr.Transform(key, iv, new byte[32]);

        // The second block's counter is the IV plus one with the carry into byte 7.
        var next = new byte[16];
        next[7] = 1;
        using var aes = Aes.Create();
        aes.Key = key;
        Assert.Equal(aes.EncryptEcb(iv, PaddingMode.None), stream[..16]);
        Assert.Equal(aes.EncryptEcb(next, PaddingMode.None), stream[16..]);
        Assert.Equal(new byte[5], AesCtr.Transform(key, iv, AesCtr.Transform(key, iv, new byte[5])));
    }

    [Theory]
    [InlineData("EPYC", 0x800F12U)]
    [InlineData("epyc-v4", 0x800F12U)]
    [InlineData("EPYC-Rome", 0x830F10U)]
    [InlineData("EPYC-Milan", 0xA00F11U)]
    [InlineData("EPYC-Genoa", 0xA10F10U)]
    [InlineData("EPYC-Turin", 0xB00F00U)]
    public void Vcpu_types_map_to_the_signatures_in_sev_md(string name, uint expected)
    {
        Assert.True(VcpuTypes.TryGetSignature(name, out var signature));
        Assert.Equal(expected, signature);
    }

    [Fact]
    public void Unknown_vcpu_type_is_not_found()
    {
        Assert.False(VcpuTypes.TryGetSignature("Skylake-Server", out _));
    }
}
