using System.Text.Json;
using SevShim.Rootfs;

namespace SevShim.Hosting;

/// <summary>
/// What the hosting side needs from a bundle's OCI config.json: the annotations, read with
/// JsonDocument (no reflection, Native AOT safe). The pod grouping key follows ARCHITECTURE
/// decision 2 and SHIM-PROTOCOL 4.6: CRI's sandbox-id annotation, else the container's own id.
/// </summary>
internal sealed class BundleSpec
{
    /// <summary>CRI (containerd 1.6 and 2.x) writes the pod sandbox id into every container's spec.</summary>
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

    private BundleSpec(IReadOnlyDictionary<string, string> annotations, string? networkNamespacePath)
    {
        Annotations = annotations;
        NetworkNamespacePath = networkNamespacePath;
    }

    /// <summary>linux.namespaces' network path, when the spec names one (CRI's pause spec does).</summary>
    public string? NetworkNamespacePath { get; }

    /// <summary>The spec's annotations (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; }

    /// <summary>Reads <c>config.json</c> from <paramref name="bundleDir"/>; errors name the file and the fix.</summary>
    public static BundleSpec Load(string bundleDir)
    {
        ArgumentNullException.ThrowIfNull(bundleDir);
        if (!Directory.Exists(bundleDir))
        {
            throw new ShimUsageException($"bundle directory {bundleDir} does not exist: containerd runs the shim inside the bundle (or passes -bundle)");
        }

        var path = Path.Combine(bundleDir, "config.json");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new ShimUsageException($"{path} does not exist: the bundle must hold the OCI runtime spec config.json");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShimUsageException($"{path} cannot be read: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses spec bytes; <paramref name="path"/> names the file in errors.</summary>
    public static BundleSpec Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ShimUsageException($"{path} is not an OCI runtime spec: its top level is not a JSON object");
            }

            if (SpecJsonCheck.Problem(doc.RootElement) is { } problem)
            {
                throw new ShimUsageException($"{path}: the OCI spec {problem}");
            }

            var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
            if (doc.RootElement.TryGetProperty("annotations", out var element) && element.ValueKind != JsonValueKind.Null)
            {
                if (element.ValueKind != JsonValueKind.Object)
                {
                    throw new ShimUsageException($"{path}: \"annotations\" must be an object of strings");
                }

                foreach (var property in element.EnumerateObject())
                {
                    annotations[property.Name] = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()!
                        : throw new ShimUsageException($"{path}: annotation \"{property.Name}\" must be a string");
                }
            }

            return new BundleSpec(annotations, NetworkPath(doc.RootElement));
        }
        catch (JsonException e)
        {
            throw new ShimUsageException($"{path} is not valid JSON ({e.Message}); containerd writes it from the container's OCI spec", e);
        }
    }

    private static string? NetworkPath(JsonElement root)
    {
        if (!root.TryGetProperty("linux", out var linux) || linux.ValueKind != JsonValueKind.Object
            || !linux.TryGetProperty("namespaces", out var namespaces) || namespaces.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var ns in namespaces.EnumerateArray())
        {
            if (ns.ValueKind == JsonValueKind.Object
                && ns.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "network"
                && ns.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String && path.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>The key naming the pod's shim: the sandbox id annotation if set, else <paramref name="containerId"/>.</summary>
    public string GroupKey(string containerId) =>
        Annotations.TryGetValue(SandboxIdAnnotation, out var sandbox) && sandbox.Length > 0 ? sandbox : containerId;
}
