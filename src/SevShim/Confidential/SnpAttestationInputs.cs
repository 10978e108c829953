using Sev.Attestation.Snp;
using Sev.Measurement;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Confidential;

/// <summary>
/// Builds a pod's <see cref="SnpAttestationRequest"/> before QEMU starts, so a missing chain file
/// or an unmeasurable image fails without a VM: AMD's ASK and ARK from confidential.amd_chain_file,
/// the VCEKs of confidential.vcek_dir, the launch policy, and the accepted measurements
/// (confidential.launch_digests, else computed from exactly what QEMU boots: vm.firmware, the
/// kernel, the initrd, the -append string, the vCPU count, and the host's CPUID signature since a
/// confidential pod runs with -cpu host; SEV_FEATURES 0x1, what QEMU's KVM_SEV_INIT2 launch gives
/// an SNP guest, SEV.md 4.5). Errors name the key and the fix.
/// </summary>
internal static class SnpAttestationInputs
{
    /// <summary>The request for a pod of <paramref name="config"/> booting these files.</summary>
    public static SnpAttestationRequest Build(ShimConfig config, string kernelPath, string initrdPath, string commandLine, ulong policy)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (ark, ask) = Chain(config.AmdChainFile ?? throw Missing("amd_chain_file"));
        return new SnpAttestationRequest(ark, ask, VcekFolder(config.VcekDir), Measurements(config, kernelPath, initrdPath, commandLine), policy);
    }

    private static (AmdCertificate Ark, AmdCertificate Ask) Chain(string path)
    {
        IReadOnlyList<AmdCertificate> certificates;
        try
        {
            certificates = AmdCertificate.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SnpVerificationException or FormatException)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: confidential.amd_chain_file = \"{path}\" cannot be read: {ex.Message}; give AMD's cert_chain PEM (ASK and ARK) for this processor");
        }

        // The ARK signs itself (issuer = subject); the ASK is the other one.
        var ark = certificates.FirstOrDefault(c => c.Issuer.Span.SequenceEqual(c.Subject.Span));
        var ask = certificates.FirstOrDefault(c => !c.Issuer.Span.SequenceEqual(c.Subject.Span));
        return ark is not null && ask is not null
            ? (ark, ask)
            : throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: confidential.amd_chain_file = \"{path}\" holds {certificates.Count} certificate(s) without both an ASK and a self-signed ARK; give AMD's cert_chain PEM");
    }

    private static List<AmdCertificate> VcekFolder(string? folder)
    {
        if (folder is null)
        {
            return [];
        }

        if (!Directory.Exists(folder))
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: confidential.vcek_dir = \"{folder}\" is not a folder; create it with the VCEKs (.der or .pem) or remove the key");
        }

        var found = new List<AmdCertificate>();
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".der", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                found.AddRange(AmdCertificate.Load(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SnpVerificationException or FormatException)
            {
                throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: confidential.vcek_dir: \"{file}\" cannot be read as a certificate: {ex.Message}; remove or replace it");
            }
        }

        return found;
    }

    private static ReadOnlyMemory<byte>[] Measurements(ShimConfig config, string kernelPath, string initrdPath, string commandLine)
    {
        if (config.LaunchDigests.Count > 0)
        {
            return config.LaunchDigests.Select(h => (ReadOnlyMemory<byte>)Convert.FromHexString(h)).ToArray();
        }

        try
        {
            var request = PodMeasureRequest.For(config, MeasurementMode.Snp, kernelPath, initrdPath, commandLine);
            return [request.Compute()];
        }
        catch (Exception ex) when (ex is MeasurementException or OvmfFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: the expected SNP measurement cannot be computed from vm.firmware, vm.kernel and vm.initrd: {ex.Message}; " +
                "fix those files or give the accepted measurements in confidential.launch_digests");
        }
    }

    private static ShimException Missing(string key) =>
        new(ShimErrorKind.FailedPrecondition, $"sevshim: confidential.{key} is not set; confidential.attestation = \"report\" needs it");
}
