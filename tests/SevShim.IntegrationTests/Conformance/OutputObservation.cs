namespace SevShim.IntegrationTests.Conformance;

/// <summary>What `ctr run` of a short command showed: exit code, stdout and stderr apart.</summary>
public sealed record OutputObservation(int ExitCode, string Stdout, string Stderr);
