using System.Text.Json;
using SevShim.Errors;
using SevShim.Rootfs;

namespace SevShim.Tasks;

/// <summary>
/// The OCI spec of a bundle (its config.json, written by containerd before Create) and the pod it
/// names. containerd gives each container its own bundle, so the spec is read from
/// CreateTaskRequest.bundle, never from the shim's cwd (SHIM-PROTOCOL.md 4.6).
/// </summary>
internal sealed record BundleSpec(string Json, string? SandboxId)
{
    /// <summary>The CRI annotation naming the pod sandbox (SHIM-PROTOCOL.md 4.6).</summary>
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

    /// <summary>Reads and checks <c>config.json</c> of <paramref name="bundle"/>.</summary>
    public static async Task<BundleSpec> ReadAsync(string bundle, CancellationToken cancellationToken)
    {
        var path = Path.Combine(bundle, "config.json");
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: cannot read the OCI spec {path}: {ex.Message} (containerd writes config.json into the bundle before Create; check the bundle path)",
                ex);
        }

        return Parse(json, path);
    }

    /// <summary>Checks the spec text read from <paramref name="path"/> (named in errors).</summary>
    public static BundleSpec Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: the OCI spec {path} is not a JSON object");
            }

            if (SpecJsonCheck.Problem(document.RootElement) is { } problem)
            {
                throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: the OCI spec {path} {problem}");
            }

            string? sandboxId = null;
            if (document.RootElement.TryGetProperty("annotations", out var annotations)
                && annotations.ValueKind == JsonValueKind.Object
                && annotations.TryGetProperty(SandboxIdAnnotation, out var value)
                && value.ValueKind == JsonValueKind.String
                && value.GetString() is { Length: > 0 } id)
            {
                sandboxId = id;
            }

            return new BundleSpec(json, sandboxId);
        }
        catch (JsonException ex)
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: the OCI spec {path} is not valid JSON: {ex.Message}", ex);
        }
    }
}
