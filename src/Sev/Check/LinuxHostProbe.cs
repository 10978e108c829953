using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json.Nodes;
using Qemu;
using Sev.Interop;
using Sev.Measurement;
using SevRuntime.Posix;

namespace Sev.Check;

/// <summary>The real host: CPUID instruction, /proc and /sys, device nodes, ioctls, QEMU and OVMF files.</summary>
public sealed class LinuxHostProbe : IHostProbe
{
    private readonly TimeSpan _qemuTimeout;

    /// <param name="qemuTimeout">How long a probe QEMU may take (QEMU with accel=kvm can hang on a PVM /dev/kvm).</param>
    public LinuxHostProbe(TimeSpan qemuTimeout)
    {
        _qemuTimeout = qemuTimeout;
    }

    /// <inheritdoc/>
    public CpuIdResult? CpuId(uint leaf, uint subleaf)
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }

        var (eax, ebx, ecx, edx) = X86Base.CpuId(unchecked((int)leaf), unchecked((int)subleaf));
        return new CpuIdResult(unchecked((uint)eax), unchecked((uint)ebx), unchecked((uint)ecx), unchecked((uint)edx));
    }

    /// <inheritdoc/>
    public string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <inheritdoc/>
    public unsafe DeviceNodeInfo? StatDevice(string path)
    {
        var buffer = new byte[Posix.StatxSize];
        fixed (byte* p = buffer)
        {
            if (Posix.statx(Posix.AT_FDCWD, path, 0, Posix.STATX_BASIC_STATS, p) != 0)
            {
                return null;
            }
        }

        var uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(Posix.StatxUidOffset));
        var gid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(Posix.StatxGidOffset));
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(Posix.StatxModeOffset));
        return new DeviceNodeInfo(
            (mode & Posix.S_IFMT) == Posix.S_IFCHR,
            NameOf("/etc/passwd", uid),
            NameOf("/etc/group", gid),
            (UnixFileMode)(mode & 0xfff),
            LibC.Access(path, LibC.R_OK | LibC.W_OK) == 0);
    }

    /// <inheritdoc/>
    public unsafe KvmProbeResult ProbeKvm(string path)
    {
        if (!File.Exists(path))
        {
            return new KvmProbeResult(false, null, false, null, null);
        }

        // Ownership: both fds are closed before returning; the VM fd is created and dropped at once.
        var fd = Posix.open(path, Posix.O_RDWR | Posix.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return new KvmProbeResult(true, null, false, null, "open: " + LibC.Describe(Marshal.GetLastPInvokeError()));
        }

        try
        {
            var api = Posix.ioctl(fd, Kvm.GetApiVersion, null);
            if (api < 0)
            {
                return new KvmProbeResult(true, null, false, null, "KVM_GET_API_VERSION: " + LibC.Describe(Marshal.GetLastPInvokeError()));
            }

            var vm = Posix.ioctl(fd, Kvm.CreateVm, null /* the default VM type, 0 */);
            if (vm < 0)
            {
                return new KvmProbeResult(true, api, false, null, "KVM_CREATE_VM: " + LibC.Describe(Marshal.GetLastPInvokeError()));
            }

            try
            {
                var op = Posix.ioctl(vm, Kvm.MemoryEncryptOp, null);
                return new KvmProbeResult(true, api, true, op == 0 ? 0 : Marshal.GetLastPInvokeError(), null);
            }
            finally
            {
                Posix.close(vm);
            }
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <inheritdoc/>
    public async Task<QemuProbeResult> ProbeQemuAsync(string binary, bool useKvm, CancellationToken cancellationToken)
    {
        var resolved = QemuBinary.Resolve(binary);
        if (resolved is null)
        {
            return new QemuProbeResult(null, null, $"{binary} not found", null, null, null);
        }

        // One budget for everything asked of this binary (--version, the probe VM, a TCG retry):
        // `check` and a pod's Create wait on it, and QEMU with accel=kvm can hang on a PVM /dev/kvm.
        var clock = Stopwatch.StartNew();
        TimeSpan Left()
        {
            var left = _qemuTimeout - clock.Elapsed;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        QemuVersionInfo? version = null;
        string? versionError = null;
        try
        {
            version = await QemuVersionProbe.FromBinaryAsync(resolved, Left(), cancellationToken);
        }
        catch (Exception ex) when (ex is FormatException or TimeoutException or FileNotFoundException)
        {
            versionError = ex.Message;
        }

        var accel = useKvm ? "kvm" : "tcg";
        try
        {
            var (objects, caps, capsError) = await QemuProbeVm.RunAsync(resolved, accel, Left(), AskAsync, cancellationToken);
            return new QemuProbeResult(resolved, version, versionError, accel, caps, capsError, objects, null);
        }
        catch (Exception ex) when (IsProbeFailure(ex))
        {
            var error = Describe(ex);
            if (!useKvm)
            {
                return new QemuProbeResult(resolved, version, versionError, accel, null, error, null, error);
            }

            // The objects do not depend on the accelerator: ask a TCG QEMU when -accel kvm
            // would not start, so the modes are still decided from the binary itself.
            try
            {
                var objects = await QemuProbeVm.RunAsync(resolved, "tcg", Left(), QemuSevObjects.QueryAsync, cancellationToken);
                return new QemuProbeResult(resolved, version, versionError, accel, null, error, objects, null);
            }
            catch (Exception tcg) when (IsProbeFailure(tcg))
            {
                return new QemuProbeResult(resolved, version, versionError, accel, null, error, null, "-accel tcg: " + Describe(tcg));
            }
        }
    }

    /// <inheritdoc/>
    public FirmwareInfo? InspectFirmware(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var length = new FileInfo(path).Length;
        try
        {
            var image = OvmfImage.Load(path);
            return new FirmwareInfo(path, length, image.HasFooterTable, image.SupportsKernelHashes, image.HasSnpMetadata, image.SupportsSnpKernelHashes, null);
        }
        catch (Exception ex) when (ex is OvmfFormatException or IOException or UnauthorizedAccessException)
        {
            return new FirmwareInfo(path, length, false, false, false, false, ex.Message);
        }
    }

    private static bool IsProbeFailure(Exception ex) =>
        ex is QemuStartException or IOException or QmpErrorException or QmpProtocolException;

    // QemuStartException's message already quotes QEMU's stderr.
    private static string Describe(Exception ex) =>
        ex is QmpErrorException qmp ? $"{qmp.ErrorClass}: {qmp.Description}" : ex.Message.Trim();

    // The objects first: query-sev-capabilities fails on every host without SEV ("KVM not
    // enabled" under TCG), and that must not hide what the binary can launch.
    private static async Task<(QemuSevObjects Objects, SevCapabilities? Capabilities, string? Error)> AskAsync(
        QmpClient qmp, CancellationToken cancellationToken)
    {
        var objects = await QemuSevObjects.QueryAsync(qmp, cancellationToken);
        try
        {
            return (objects, await QuerySevCapabilitiesAsync(qmp, cancellationToken), null);
        }
        catch (QmpErrorException ex)
        {
            return (objects, null, Describe(ex));
        }
    }

    private static async Task<SevCapabilities> QuerySevCapabilitiesAsync(QmpClient qmp, CancellationToken cancellationToken)
    {
        var result = await qmp.ExecuteAsync("query-sev-capabilities", cancellationToken) as JsonObject
            ?? throw new QmpProtocolException("query-sev-capabilities returned no object");
        return new SevCapabilities(
            result["cbitpos"]?.GetValue<int>() ?? 0,
            result["reduced-phys-bits"]?.GetValue<int>() ?? 0,
            result["pdh"] is not null,
            result["cpu0-id"] is not null);
    }

    // Resolves a uid/gid through the local passwd/group files (name:x:id:...); numeric when absent.
    private string NameOf(string database, uint id)
    {
        var text = ReadText(database);
        var wanted = id.ToString(CultureInfo.InvariantCulture);
        if (text is not null)
        {
            foreach (var line in text.Split('\n'))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == wanted)
                {
                    return fields[0];
                }
            }
        }

        return wanted;
    }
}
