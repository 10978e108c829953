using SevAgent.Guest;

namespace SevAgent.Tests.Unit;

/// <summary>The guest's SEV detection on sample inputs: MSR device files and kernel log records.</summary>
public sealed class SevStatusReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevagent-sev-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("6,171,52134,-;Memory Encryption Features active: AMD SEV\n", "Memory Encryption Features active: AMD SEV")]
    [InlineData("6,171,52134,-;Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n", "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP")]
    [InlineData("6,90,1000,-;AMD Memory Encryption Features active: SEV SEV-ES\n", "AMD Memory Encryption Features active: SEV SEV-ES")]
    [InlineData("6,90,1000,-;AMD Secure Encrypted Virtualization (SEV) active\n", "AMD Secure Encrypted Virtualization (SEV) active")]
    [InlineData("[    0.000000] Memory Encryption Features active: AMD SEV", "[    0.000000] Memory Encryption Features active: AMD SEV")]
    public void The_kernel_line_is_found_in_every_known_form(string record, string expected)
    {
        var line = GuestInfoReader.MatchEncryptionRecord(record);
        Assert.EndsWith(expected.Replace("[    0.000000] ", string.Empty, StringComparison.Ordinal), line, StringComparison.Ordinal);
        Assert.DoesNotContain(";", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("6,1,0,-;Linux version 6.1.0-56-amd64\n")]
    [InlineData("6,5,0,-;SEV: Status: SEV\n")]
    [InlineData("")]
    public void Other_records_do_not_match(string record) =>
        Assert.Equal(string.Empty, GuestInfoReader.MatchEncryptionRecord(record));

    [Fact]
    public void A_readable_msr_gives_a_known_status_with_its_bits_and_the_kernel_line()
    {
        var msr = WriteMsrDevice(0x3);
        var kmsg = Path.Combine(_dir.FullName, "kmsg");
        File.WriteAllText(kmsg, "6,1,0,-;Linux version 6.1\n6,171,52134,-;Memory Encryption Features active: AMD SEV SEV-ES\n");

        var s = GuestInfoReader.ReadSev(msr, kmsg);

        Assert.True(s.Known);
        Assert.Equal(0x3UL, s.MsrValue);
        Assert.True(s.Sev);
        Assert.True(s.SevEs);
        Assert.False(s.Snp);
        Assert.Equal("Memory Encryption Features active: AMD SEV SEV-ES", s.KernelMessage);
    }

    [Fact]
    public void A_zero_msr_is_known_and_not_active()
    {
        // What QEMU's TCG returns for SEV_STATUS: 0, so the guest is plainly not encrypted.
        var s = GuestInfoReader.ReadSev(WriteMsrDevice(0), Path.Combine(_dir.FullName, "no-kmsg"));
        Assert.True(s.Known);
        Assert.False(s.Sev || s.SevEs || s.Snp);
        Assert.Equal(string.Empty, s.KernelMessage);
    }

    [Fact]
    public void An_unreadable_msr_is_unknown_with_the_file_and_error()
    {
        // An empty file stands for the driver's EIO: the read returns no 8 bytes.
        var msr = Path.Combine(_dir.FullName, "msr");
        File.WriteAllBytes(msr, []);
        var s = GuestInfoReader.ReadSev(msr, Path.Combine(_dir.FullName, "no-kmsg"));
        Assert.False(s.Known);
        Assert.Contains(msr, s.Reason, StringComparison.Ordinal);
        Assert.Contains("0xc0010131", s.Reason, StringComparison.Ordinal);
        Assert.False(s.Sev);
    }

    [Fact]
    public void Without_the_msr_device_the_kernel_line_is_still_reported()
    {
        var kmsg = Path.Combine(_dir.FullName, "kmsg");
        File.WriteAllText(kmsg, "6,171,52134,-;Memory Encryption Features active: AMD SEV\n");
        var s = GuestInfoReader.ReadSev(Path.Combine(_dir.FullName, "absent-msr"), kmsg);
        Assert.False(s.Known);
        Assert.Contains("modprobe msr", s.Reason, StringComparison.Ordinal);
        Assert.Equal("Memory Encryption Features active: AMD SEV", s.KernelMessage);
    }

    // The msr driver maps the file offset to the MSR number (arch/x86/kernel/msr.c): a sparse
    // file with 8 bytes at offset 0xc0010131 reads like /dev/cpu/0/msr.
    private string WriteMsrDevice(ulong value)
    {
        var path = Path.Combine(_dir.FullName, "msr");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        RandomAccess.Write(file, BitConverter.GetBytes(value), GuestInfoReader.SevStatusMsr);
        return path;
    }
}
