using System.Runtime.Versioning;

// The pod VM code uses Linux-only calls (mount(2), FIFOs, unix modes); the attribute allows
// repeats, so it agrees with any other part of the shim that declares the same.
[assembly: SupportedOSPlatform("linux")]
