using Sev;
using System.Security.Cryptography;
using Sev.Attestation;
using Sev.Measurement;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Confidential;

/// <summary>
/// Builds the <see cref="PreAttestationRequest"/> of a pod from its configuration: the launch
/// session's keys and the secret read from the configured files, and the accepted launch digests
/// (confidential.launch_digests, else computed here from exactly what QEMU boots: vm.firmware,
/// the kernel, the initrd and the -append string, SEV.md 4.1/4.2 and pitfall 3). For SEV-ES the
/// VMSAs depend on the vCPU count, the -cpu model's signature (the host's CPUID 1 EAX, since a
/// confidential pod runs with -cpu host) and on whether KVM initialises them the legacy or the
/// INIT2 way (SEV.md 4.4, pitfall 5), which the shim cannot see from here: both digests are
/// accepted, as both are launches of the same images. Errors name the key and the fix.
/// </summary>
internal static class PreAttestationInputs
{
    /// <summary>The request; the caller owns it and clears its keys with <see cref="Clear"/>.</summary>
    public static PreAttestationRequest Build(ShimConfig config, string kernelPath, string initrdPath, string commandLine, uint policy)
    {
        ArgumentNullException.ThrowIfNull(config);
        var tik = ReadKey(config.TikFile, "tik_file");
        var secrets = new List<LaunchSecretEntry>();
        byte[] tek = [];
        if (config.SecretFile is { } secretFile)
        {
            tek = ReadKey(config.TekFile, "tek_file");
            secrets.Add(new LaunchSecretEntry(config.SecretGuid ?? Guid.Empty, ReadFile(secretFile, "secret_file")));
        }

        var (digests, secretArea) = Digests(config, kernelPath, initrdPath, commandLine);
        return new PreAttestationRequest
        {
            Tik = tik,
            Tek = tek,
            AcceptedDigests = digests,
            ExpectedPolicy = policy,
            Secrets = secrets,
            SecretAreaSize = secretArea,
        };
    }

    /// <summary>Overwrites the request's key and secret bytes (they were read into arrays this type made).</summary>
    public static void Clear(PreAttestationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var memory in request.Secrets.Select(s => s.Data).Append(request.Tik).Append(request.Tek))
        {
            if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out var segment) && segment.Array is { } array)
            {
                CryptographicOperations.ZeroMemory(array);
            }
        }
    }

    private static (IReadOnlyList<ReadOnlyMemory<byte>> Digests, uint? SecretArea) Digests(
        ShimConfig config, string kernelPath, string initrdPath, string commandLine)
    {
        OvmfImage firmware;
        try
        {
            firmware = OvmfImage.Load(config.FirmwarePath);
        }
        catch (Exception ex) when (ex is OvmfFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: vm.firmware = \"{config.FirmwarePath}\" cannot be read for the launch digest: {ex.Message}; give the AmdSev OVMF build QEMU boots");
        }

        var secretArea = firmware.SecretArea?.Size;
        if (config.LaunchDigests.Count > 0)
        {
            return (config.LaunchDigests.Select(h => (ReadOnlyMemory<byte>)Convert.FromHexString(h)).ToArray(), secretArea);
        }

        try
        {
            var request = PodMeasureRequest.For(config, config.Confidential == SevMode.SevEs ? MeasurementMode.SevEs : MeasurementMode.Sev, kernelPath, initrdPath, commandLine);
            IEnumerable<MeasureRequest> variants = config.Confidential == SevMode.SevEs
                ? [request with { VmsaStyle = VmsaStyle.Init2 }, request with { VmsaStyle = VmsaStyle.Legacy }]
                : [request];
            return (variants.Select(v => (ReadOnlyMemory<byte>)v.Compute()).ToArray(), secretArea);
        }
        catch (Exception ex) when (ex is MeasurementException or OvmfFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: the expected launch digest cannot be computed from vm.firmware, vm.kernel and vm.initrd: {ex.Message}; " +
                "fix those files or give the accepted digests in confidential.launch_digests");
        }
    }

    private static byte[] ReadKey(string? path, string key)
    {
        var bytes = ReadFile(path ?? throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: confidential.{key} is not set"), key);
        if (bytes.Length != LaunchMeasure.KeySize)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new ShimException(ShimErrorKind.FailedPrecondition,
                $"sevshim: confidential.{key} = \"{path}\" holds {bytes.Length} bytes, not {LaunchMeasure.KeySize}: give the raw key file `sevctl session` wrote");
        }

        return bytes;
    }

    private static byte[] ReadFile(string path, string key)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: confidential.{key} = \"{path}\" cannot be read: {ex.Message}");
        }
    }
}
