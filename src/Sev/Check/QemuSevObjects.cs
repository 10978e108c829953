using System.Text.Json.Nodes;
using Qemu;

namespace Sev.Check;

/// <summary>
/// The SEV objects a QEMU binary has, as it reports them itself: QMP <c>qom-list-properties</c>
/// for <c>sev-guest</c> and <c>sev-snp-guest</c> (SEV.md 2.1, 2.2). A type QEMU lacks is
/// answered with error class DeviceNotFound ("Class 'sev-snp-guest' not found", QEMU 7.2).
/// </summary>
/// <remarks>
/// Why qom-list-properties and not <c>qom-list-types</c> or <c>-object TYPE,help</c>:
/// qom-list-types first loads every module QEMU can find (util/module.c module_load_qom_all),
/// and bookworm-backports' QEMU 10, unpacked beside Debian's 7.2, finds 7.2's modules in
/// /usr/lib/x86_64-linux-gnu/qemu and aborts ("Assertion `QTAILQ_EMPTY(&dso_init_list)' failed");
/// <c>-object sev-guest,help</c> lists class properties only, and cbitpos, policy and
/// reduced-phys-bits are instance properties (missing from that text in 7.2 and 10.0 alike).
/// qom-list-properties creates an instance and lists them all, and loads no module for a
/// built-in type.
/// </remarks>
/// <param name="SevGuest">sev-guest's property names, or null when QEMU has no such object.</param>
/// <param name="SnpGuest">sev-snp-guest's property names, or null when QEMU has no such object.</param>
public sealed record QemuSevObjects(IReadOnlyList<string>? SevGuest, IReadOnlyList<string>? SnpGuest)
{
    /// <summary>The object for SEV and SEV-ES guests (policy bit 2 makes it SEV-ES).</summary>
    public const string SevGuestType = "sev-guest";

    /// <summary>The object for SEV-SNP guests (upstream QEMU 9.1 and later).</summary>
    public const string SnpGuestType = "sev-snp-guest";

    /// <summary>
    /// The properties <c>SevLaunchPlanner</c> puts on the SEV object of every launch (policy,
    /// cbitpos, reduced-phys-bits, kernel-hashes=on); a QEMU missing one rejects the command line.
    /// </summary>
    public static IReadOnlyList<string> LaunchProperties { get; } = ["policy", "cbitpos", "reduced-phys-bits", "kernel-hashes"];

    /// <summary>Asks a running QEMU (a probe VM) for both objects.</summary>
    public static async Task<QemuSevObjects> QueryAsync(QmpClient qmp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(qmp);
        var sev = await PropertiesAsync(qmp, SevGuestType, cancellationToken);
        var snp = await PropertiesAsync(qmp, SnpGuestType, cancellationToken);
        return new QemuSevObjects(sev, snp);
    }

    /// <summary>
    /// One recorded reply line of <c>qom-list-properties</c>: the property names of
    /// <c>{"return": [{"name": ...}, ...]}</c>, null for <c>{"error": {"class": "DeviceNotFound"}}</c>.
    /// </summary>
    /// <exception cref="QmpErrorException">Any other error.</exception>
    /// <exception cref="QmpProtocolException">Neither a return nor an error.</exception>
    public static IReadOnlyList<string>? FromReply(string typeName, JsonObject reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply["error"] is JsonObject error)
        {
            var errorClass = error["class"]?.GetValue<string>() ?? "GenericError";
            return errorClass == "DeviceNotFound"
                ? null
                : throw new QmpErrorException("qom-list-properties", errorClass, error["desc"]?.GetValue<string>() ?? string.Empty);
        }

        return reply.ContainsKey("return")
            ? Names(typeName, reply["return"])
            : throw new QmpProtocolException($"qom-list-properties {typeName}: reply has neither return nor error");
    }

    /// <summary>True when <paramref name="typeName"/>'s object exists and has <paramref name="property"/>.</summary>
    public bool Has(string typeName, string property) =>
        Properties(typeName)?.Contains(property, StringComparer.Ordinal) == true;

    /// <summary>The property names of one of the two types, or null when QEMU lacks it.</summary>
    public IReadOnlyList<string>? Properties(string typeName) => typeName switch
    {
        SevGuestType => SevGuest,
        SnpGuestType => SnpGuest,
        _ => throw new ArgumentOutOfRangeException(nameof(typeName), typeName, "not an SEV object type"),
    };

    private static async Task<IReadOnlyList<string>?> PropertiesAsync(QmpClient qmp, string typeName, CancellationToken cancellationToken)
    {
        try
        {
            var result = await qmp.ExecuteAsync("qom-list-properties", new JsonObject { ["typename"] = typeName }, cancellationToken);
            return Names(typeName, result);
        }
        catch (QmpErrorException ex) when (ex.ErrorClass == "DeviceNotFound")
        {
            // QEMU built without this object (or older than it): "Class 'sev-snp-guest' not found".
            return null;
        }
    }

    // ObjectPropertyInfo list (qapi/qom.json): [{"name", "type", "description"?, "default-value"?}].
    private static string[] Names(string typeName, JsonNode? result) =>
        (result as JsonArray ?? throw new QmpProtocolException($"qom-list-properties {typeName} returned no list"))
            .Select(p => p?["name"]?.GetValue<string>())
            .OfType<string>()
            .ToArray();
}
