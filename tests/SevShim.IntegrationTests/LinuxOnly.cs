using System.Runtime.Versioning;

// The shim assembly is Linux-only (src/SevShim/Qemu/LinuxOnly.cs); so are its integration tests,
// which drive Linux-only parts (containerd, QEMU, mounts, FIFOs): this keeps CA1416 quiet for the
// whole test assembly.
[assembly: SupportedOSPlatform("linux")]
