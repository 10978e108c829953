using System.Runtime.Versioning;

// The tests of the pod VM parts call Linux-only APIs of the shim.
[assembly: SupportedOSPlatform("linux")]
