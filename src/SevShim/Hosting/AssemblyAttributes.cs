using System.Runtime.Versioning;

// The shim is a Linux program (containerd shim v2, unix sockets, posix_spawn, FIFOs).
[assembly: SupportedOSPlatform("linux")]
