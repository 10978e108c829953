namespace Sev.Check;

/// <summary>The host distribution from /etc/os-release (os-release(5): ID, ID_LIKE, PRETTY_NAME).</summary>
/// <param name="Id">ID, e.g. "debian"; "unknown" when the file is missing.</param>
/// <param name="PrettyName">PRETTY_NAME, or the ID.</param>
/// <param name="Family">The family that decides the fix commands.</param>
/// <param name="Codename">VERSION_CODENAME, e.g. "bookworm", or null when absent.</param>
public sealed record Distribution(string Id, string PrettyName, DistroFamily Family, string? Codename = null)
{
    /// <summary>Parses os-release text (KEY=value lines, values optionally quoted).</summary>
    public static Distribution FromOsRelease(string? text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in (text ?? string.Empty).Split('\n'))
        {
            var line = raw.Trim();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || eq <= 0)
            {
                continue;
            }

            values[line[..eq]] = line[(eq + 1)..].Trim().Trim('"', '\'');
        }

        var id = values.GetValueOrDefault("ID", "unknown").ToLowerInvariant();
        var like = values.GetValueOrDefault("ID_LIKE", string.Empty).ToLowerInvariant()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] all = [id, .. like];
        var family = all.Select(Classify).FirstOrDefault(f => f != DistroFamily.Unknown);
        return new Distribution(id, values.GetValueOrDefault("PRETTY_NAME", id), family, values.GetValueOrDefault("VERSION_CODENAME"));
    }

    private static DistroFamily Classify(string id) => id switch
    {
        "debian" or "ubuntu" => DistroFamily.Debian,
        "rhel" or "fedora" or "centos" or "rocky" or "almalinux" => DistroFamily.RedHat,
        "sles" or "suse" or "opensuse" or "opensuse-leap" or "opensuse-tumbleweed" => DistroFamily.Suse,
        _ => DistroFamily.Unknown,
    };
}
