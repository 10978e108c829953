using System.Runtime.Versioning;

// The shim assembly is Linux-only (src/SevShim/Qemu/LinuxOnly.cs); so are its integration tests.
[assembly: SupportedOSPlatform("linux")]
