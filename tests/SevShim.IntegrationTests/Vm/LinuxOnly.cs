using System.Runtime.Versioning;

// The pod VM tests drive Linux-only parts of the shim (mounts, FIFOs, QEMU).
[assembly: SupportedOSPlatform("linux")]
