using SevAgent.Errors;

namespace SevAgent.Guest;

/// <summary>
/// Gets an SEV-SNP attestation report through the kernel's configfs-tsm report interface
/// (Documentation/ABI/testing/configfs-tsm, kernel 6.7 and later; the guest image's 6.12 has it
/// as the modules configfs, tsm and sev-guest): make an entry folder under
/// /sys/kernel/config/tsm/report, write the 64 report-data bytes to its inblob, read outblob (the
/// report) and auxblob (the host's certificate table, if any), remove the folder. Chosen over the
/// /dev/sev-guest ioctl because the kernel owns the message sequence numbers and the VMPCK, and
/// because it is plain file I/O. The modules are loaded on first use (modprobe sev_guest): an
/// SEV-SNP pod is the only one that asks, so other pods never pay for them at boot.
/// Ownership: one exchange at a time (<c>_sync</c>; configfs-tsm serves one entry's request at a
/// time anyway); each call removes its entry folder.
/// </summary>
internal sealed class SnpReportReader(ModuleLoader modules)
{
    /// <summary>Where configfs is mounted in the guest.</summary>
    public const string ConfigFsRoot = "/sys/kernel/config";

    private readonly Lock _sync = new();
    private long _sequence;

    /// <summary>The report for <paramref name="reportData"/>, with the certificate table and the provider's name.</summary>
    public async Task<(byte[] Report, byte[] Certificates, string Provider)> ReadAsync(byte[] reportData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reportData);
        if (reportData.Length != 64)
        {
            throw AgentException.InvalidArgument($"report_data is {reportData.Length} bytes; an SNP report binds exactly 64");
        }

        var reports = Path.Combine(ConfigFsRoot, "tsm", "report");
        if (!Directory.Exists(reports))
        {
            // sev-guest finds its device only in an SEV-SNP guest; elsewhere modprobe fails, naming it.
            await modules.LoadAsync("sev_guest", cancellationToken).ConfigureAwait(false);
            ModuleLoader.Mount("configfs", ConfigFsRoot);
        }

        if (!Directory.Exists(reports))
        {
            throw AgentException.FailedPrecondition(
                $"{reports} does not exist after loading sev_guest: this guest has no SEV-SNP attestation (is the pod launched with confidential.mode = \"sev-snp\"?)");
        }

        lock (_sync)
        {
            return Read(reports, $"sevshim-{Environment.ProcessId}-{++_sequence}", reportData);
        }
    }

    /// <summary>The configfs exchange in <paramref name="reports"/> (a folder laid out as configfs-tsm's), entry <paramref name="name"/>.</summary>
    public static (byte[] Report, byte[] Certificates, string Provider) Read(string reports, string name, byte[] reportData)
    {
        var entry = Path.Combine(reports, name);
        Directory.CreateDirectory(entry);
        try
        {
            var provider = ReadText(Path.Combine(entry, "provider"));
            File.WriteAllBytes(Path.Combine(entry, "inblob"), reportData);
            byte[] report;
            try
            {
                report = File.ReadAllBytes(Path.Combine(entry, "outblob"));
            }
            catch (IOException ex)
            {
                throw AgentException.Internal($"the {provider} provider refused the attestation report request: {ex.Message}");
            }

            var aux = Path.Combine(entry, "auxblob");
            var certificates = File.Exists(aux) ? TryRead(aux) : [];
            return (report, certificates, provider);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw AgentException.Internal($"attestation report entry {entry}: {ex.Message}");
        }
        finally
        {
            try
            {
                Directory.Delete(entry);
            }
            catch (IOException)
            {
                // configfs removes the attribute files with the folder; a plain folder (the tests') keeps them.
                Directory.Delete(entry, recursive: true);
            }
        }
    }

    private static string ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";

    // The host may supply no certificates: reading auxblob then fails with ENODATA or gives nothing.
    private static byte[] TryRead(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return [];
        }
    }
}
