using System.Runtime.Intrinsics.X86;
using Sev.Measurement;
using SevShim.Config;

namespace SevShim.Confidential;

/// <summary>
/// The measurement inputs of a pod as QEMU boots it (SEV.md 4): vm.firmware, the kernel, the
/// initrd, the exact -append string, the vCPU count, and the host's CPUID 1 signature, since a
/// confidential pod runs with -cpu host. Shared by pre-attestation and the SNP report check.
/// </summary>
internal static class PodMeasureRequest
{
    /// <summary>The request for <paramref name="mode"/>; callers vary the VMSA style or features with <c>with</c>.</summary>
    public static MeasureRequest For(ShimConfig config, MeasurementMode mode, string kernelPath, string initrdPath, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new MeasureRequest(mode, config.FirmwarePath)
        {
            KernelPath = kernelPath,
            InitrdPath = initrdPath,
            Append = commandLine,
            Vcpus = config.Vcpus,
            VcpuSignature = X86Base.IsSupported ? unchecked((uint)X86Base.CpuId(1, 0).Eax) : MeasureRequest.DefaultVcpuSignature,
        };
    }
}
