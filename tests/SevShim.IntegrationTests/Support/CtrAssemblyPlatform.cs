using System.Runtime.Versioning;

// The end-to-end tests drive Linux-only parts (containerd, QEMU, the shim's Linux-only contract
// types); declaring the platform keeps CA1416 quiet for the whole test assembly.
[assembly: SupportedOSPlatform("linux")]
