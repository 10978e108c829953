using System.Security.Cryptography;
using System.Text.Json;
using Serilog;
using Sev.Attestation.Snp;
using SevShim.Agent;
using SevShim.Errors;

namespace SevShim.Confidential;

/// <summary>
/// The sandbox's SNP attestation step (confidential.attestation = "report", issue 16 item 5), after
/// the guest check and before the pod's first container: a fresh 64-byte nonce, the agent's
/// report for it, <see cref="SnpReportVerifier"/> against the request read before launch, and the
/// evidence recorded as <see cref="RecordFileName"/> in the pod's state folder (0600, removed with
/// the pod), which `containerd-shim-sevshim-v2 attestation &lt;pod&gt;` prints. A refusal is a
/// FailedPrecondition <see cref="ShimException"/> naming the check; the caller then destroys the VM,
/// so no container runs in a guest that failed.
/// </summary>
internal static class SnpAttestationStep
{
    /// <summary>The evidence file in the pod's state folder.</summary>
    public const string RecordFileName = "attestation.json";

    /// <summary>Runs the step; returns the verdict it recorded.</summary>
    public static async Task<SnpVerdict> RunAsync(
        SnpAttestationRequest request, IGuestAgent agent, string stateDirectory, TimeProvider time, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        var nonce = RandomNumberGenerator.GetBytes(64);
        var answer = await agent.GetAttestationReportAsync(nonce, cancellationToken).ConfigureAwait(false);
        SnpVerdict verdict;
        var now = time.GetUtcNow();
        try
        {
            var report = SnpReport.Parse(answer.Report);
            var certificates = request.ChooseCertificates(report, SnpCertificateTable.Parse(answer.Certificates));
            verdict = SnpReportVerifier.Verify(report, certificates, new SnpExpectations
            {
                ReportData = nonce,
                Policy = request.Policy,
                AcceptedMeasurements = request.AcceptedMeasurements,
            }, now);
        }
        catch (SnpVerificationException ex)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: the pod's SEV-SNP attestation report was refused ({ex.Check}): {ex.Message}", ex);
        }

        Record(Path.Combine(stateDirectory, RecordFileName), verdict, answer, now);
        log.Information(
            "SEV-SNP attestation verified: measurement {Measurement}, policy {Policy}, {Product} chip {Chip}, TCB {Tcb}",
            Convert.ToHexStringLower(verdict.Report.Measurement.Span),
            Sev.Launch.SevPolicy.Hex(verdict.Report.Policy),
            verdict.Vcek.ProductName,
            Convert.ToHexStringLower(verdict.Report.ChipId.Span[..8]) + "…",
            verdict.ReportedTcb.ToString());
        return verdict;
    }

    // Written to a temporary name and renamed, so a reader never sees half a record.
    private static void Record(string path, SnpVerdict verdict, GuestAttestationReport answer, DateTimeOffset now)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(temporary, options))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            var report = verdict.Report;
            json.WriteStartObject();
            json.WriteString("verified_at", now.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("provider", answer.Provider);
            json.WriteString("product", verdict.Vcek.ProductName);
            json.WriteString("measurement", Convert.ToHexStringLower(report.Measurement.Span));
            json.WriteString("policy", Sev.Launch.SevPolicy.Hex(report.Policy));
            json.WriteString("report_data", Convert.ToHexStringLower(report.ReportData.Span));
            json.WriteString("chip_id", Convert.ToHexStringLower(report.ChipId.Span));
            json.WriteString("host_data", Convert.ToHexStringLower(report.HostData.Span));
            json.WriteNumber("vmpl", report.Vmpl);
            json.WriteString("reported_tcb", verdict.ReportedTcb.ToString());
            json.WriteString("vcek_source", answer.Certificates.Length > 0 ? "host certificate table" : "confidential.vcek_dir");
            json.WriteBase64String("report", answer.Report);
            json.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }
}
