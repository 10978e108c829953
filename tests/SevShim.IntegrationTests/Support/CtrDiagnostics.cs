using System.Text;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Adds what explains an end-to-end failure to its message: the tail of containerd's log (the
/// shims' log FIFOs are copied into it) and the tail of each pod's guest console
/// (/run/sevshim/&lt;id&gt;/console.log, while the pod still exists).
/// </summary>
public static class CtrDiagnostics
{
    /// <summary>Runs <paramref name="body"/>; a failure is rethrown with the diagnostics for <paramref name="ids"/> appended.</summary>
    public static async Task RunAsync(CtrContainerd containerd, IReadOnlyList<string> ids, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body();
        }
        catch (Exception e) when (e is not CtrE2EException)
        {
            throw new CtrE2EException(e.Message + "\n" + Describe(containerd, ids), e);
        }
    }

    /// <summary>The diagnostics text.</summary>
    public static string Describe(CtrContainerd containerd, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(containerd);
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        text.Append("\n--- containerd + shim log (").Append(containerd.LogPath).AppendLine(", last 150 lines) ---");
        text.AppendLine(containerd.LogTail(150));
        foreach (var id in ids)
        {
            var console = Path.Combine(CtrContainerd.ShimStateRoot, id, "console.log");
            if (File.Exists(console))
            {
                text.Append("--- guest console ").Append(console).AppendLine(" (last 60 lines) ---");
                text.AppendLine(CtrContainerd.Tail(console, 60));
            }
            else
            {
                text.Append("--- no guest console at ").Append(console).AppendLine(" ---");
            }
        }

        return text.ToString();
    }
}
