using System.Text;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Adds what explains a CRI failure to its message: containerd's lines naming the pods (the
/// shims' log FIFOs are copied into its log), each pod's guest console while it exists, and the
/// log's raw tail, most telling first (scripts/test.sh repeats only the first lines of a failure).
/// </summary>
public static class CriDiagnostics
{
    /// <summary>Runs <paramref name="body"/>; a failure is rethrown with the diagnostics of <paramref name="pod"/>.</summary>
    public static async Task RunAsync(CriPod pod, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body();
        }
        catch (Exception e) when (e is not CtrE2EException and not CriSetupException)
        {
            throw new CtrE2EException($"[{pod.Handler}] {e.Message}\n{Describe(pod.Containerd, [pod.Id, .. pod.ContainerIds])}", e);
        }
    }

    /// <summary>The diagnostics text for <paramref name="ids"/>.</summary>
    public static string Describe(CriContainerd c, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        text.AppendLine("--- containerd and shim lines naming these pods and containers (last 40) ---");
        foreach (var line in c.LogTail(4000).Split('\n').Where(l => ids.Any(id => l.Contains(id, StringComparison.Ordinal))).TakeLast(40))
        {
            text.AppendLine(line.Length <= 600 ? line : line[..600] + "...");
        }

        foreach (var id in ids)
        {
            var console = Path.Combine(CtrContainerd.ShimStateRoot, id, "console.log");
            if (File.Exists(console))
            {
                text.Append("--- guest console ").Append(console).AppendLine(" (last 30 lines) ---");
                text.AppendLine(CtrContainerd.Tail(console, 30));
            }
        }

        text.Append("--- containerd log (").Append(c.LogPath).AppendLine(", last 40 lines) ---");
        text.AppendLine(c.LogTail(40));
        return text.ToString();
    }
}
