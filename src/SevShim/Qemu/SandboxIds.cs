using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// Ids that become host path components (sandbox and container ids). containerd allows
/// <c>[A-Za-z0-9]+([._-][A-Za-z0-9]+)*</c> up to 76 characters (identifiers.Validate); anything
/// that could climb out of a folder ("..", "/") is refused here before it reaches a path.
/// </summary>
internal static class SandboxIds
{
    /// <summary>Throws InvalidArgument unless <paramref name="id"/> is safe as a single path component.</summary>
    public static void Validate(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 128 || id is "." or ".." || !char.IsAsciiLetterOrDigit(id[0])
            || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: id '{id}' cannot name a folder: use letters, digits, '.', '_' and '-' only, starting with a letter or digit");
        }
    }
}
