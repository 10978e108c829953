using SevAgent.Errors;
using SevAgent.Guest;

namespace SevAgent.Tests.Unit;

/// <summary>
/// The configfs-tsm exchange of <see cref="SnpReportReader"/> on a plain folder laid out as
/// configfs-tsm's report entry (a fake: configfs makes outblob itself, here the test writes it).
/// </summary>
public sealed class SnpReportReaderTests : IDisposable
{
    private readonly string _reports = Directory.CreateTempSubdirectory("tsm-report-").FullName;

    [Fact]
    public void Outblob_and_auxblob_come_back_and_the_entry_goes()
    {
        var entry = Directory.CreateDirectory(Path.Combine(_reports, "e1")).FullName;
        File.WriteAllText(Path.Combine(entry, "provider"), "sev_guest\n");
        File.WriteAllBytes(Path.Combine(entry, "outblob"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(entry, "auxblob"), [9, 9]);
        var nonce = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();

        var (report, certificates, provider) = SnpReportReader.Read(_reports, "e1", nonce);

        Assert.Equal([1, 2, 3], report);
        Assert.Equal([9, 9], certificates);
        Assert.Equal("sev_guest", provider);
        Assert.False(Directory.Exists(entry), "the entry folder must be removed");
    }

    [Fact]
    public void Without_a_certificate_table_the_certificates_are_empty()
    {
        var entry = Directory.CreateDirectory(Path.Combine(_reports, "e2")).FullName;
        File.WriteAllBytes(Path.Combine(entry, "outblob"), [7]);

        var (report, certificates, provider) = SnpReportReader.Read(_reports, "e2", new byte[64]);

        Assert.Equal([7], report);
        Assert.Empty(certificates);
        Assert.Equal("unknown", provider);
    }

    [Fact]
    public async Task A_nonce_of_another_size_is_refused_before_anything_is_touched()
    {
        var reader = new SnpReportReader(null!);

        var e = await Assert.ThrowsAsync<AgentException>(() => reader.ReadAsync(new byte[32], CancellationToken.None));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("64", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_reports, recursive: true);
}
