using System.Text.Json.Serialization;

namespace Sev.Check;

/// <summary>The `check --json` document (stable names; scripts read it).</summary>
internal sealed record HostReportJson(
    DistributionJson Distribution,
    IReadOnlyList<CheckItemJson> Items,
    IReadOnlyList<ModeJson> Modes,
    FactsJson Facts,
    bool SevReady,
    IReadOnlyList<QemuBinaryJson> Qemus);

internal sealed record DistributionJson(string Id, string Name, string Family);

internal sealed record CheckItemJson(string Name, string Status, string Evidence, string? Fix, IReadOnlyList<string> Gates);

internal sealed record ModeJson(string Mode, bool Ready, IReadOnlyList<string> BlockedBy);

internal sealed record QemuBinaryJson(string Path, IReadOnlyList<string> Roles, string? Version, string? Package, IReadOnlyList<QemuModeJson> Modes);

internal sealed record QemuModeJson(string Mode, bool CanLaunch, string? Reason);

internal sealed record FactsJson(
    int? Cbitpos,
    int? CpuidReducedPhysBits,
    int ReducedPhysBits,
    uint? MaxEncryptedGuests,
    uint? MinSevAsid,
    string? QemuVersion,
    string? QemuPackage,
    bool KvmUsable);

/// <summary>Source-generated (Native AOT) serializer for <see cref="HostReportJson"/>.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HostReportJson))]
internal sealed partial class HostReportJsonContext : JsonSerializerContext;
