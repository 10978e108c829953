using System.Text.RegularExpressions;
using SevAgent.Errors;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// Checks names and paths that come from the host. The host is not trusted (a confidential guest
/// must not let it reach outside the share): a path is relative, has no "..", and still lies
/// inside its root after every symlink is resolved in the guest.
/// </summary>
internal static partial class PathGuard
{
    /// <summary>Throws INVALID_ARGUMENT unless <paramref name="id"/> is a plain name usable as a directory.</summary>
    public static void CheckId(string id, string what)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw AgentException.InvalidArgument($"{what} '{id}' is not a plain name: use 1 to 128 characters from A-Z a-z 0-9 _ . - not starting with . or -");
        }
    }

    /// <summary>
    /// Resolves <paramref name="relative"/> under <paramref name="root"/> and returns the canonical
    /// path; INVALID_ARGUMENT if it is absolute, contains "..", does not exist or escapes the root
    /// through a symlink.
    /// </summary>
    public static string ResolveUnder(string root, string relative, string what)
    {
        if (relative.Length == 0 || relative.Contains('\0', StringComparison.Ordinal))
        {
            throw AgentException.InvalidArgument($"{what} is empty: give a path relative to the share");
        }

        if (relative.StartsWith('/'))
        {
            throw AgentException.InvalidArgument($"{what} '{relative}' is absolute: give a path relative to the share root");
        }

        if (relative.Split('/').Contains(".."))
        {
            throw AgentException.InvalidArgument($"{what} '{relative}' contains '..' and could escape the share: give a path inside it");
        }

        var canonicalRoot = LibC.RealPath(root) ?? throw AgentException.FailedPrecondition($"the share root {root} is not available: {Posix.LastError()}");
        var resolved = LibC.RealPath(Path.Combine(canonicalRoot, relative)) ?? throw AgentException.InvalidArgument($"{what} '{relative}' does not exist in the share ({Posix.LastError()})");
        if (!IsInside(canonicalRoot, resolved))
        {
            throw AgentException.InvalidArgument($"{what} '{relative}' resolves to {resolved}, outside the share {canonicalRoot}: symlinks may not leave the share");
        }

        return resolved;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both canonical).</summary>
    public static bool IsInside(string root, string path)
    {
        var r = root.TrimEnd('/');
        return path == r || path.StartsWith(r + "/", StringComparison.Ordinal) || r.Length == 0;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex IdPattern();
}
