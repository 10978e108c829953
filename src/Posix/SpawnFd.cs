using System.Runtime.InteropServices;

namespace SevRuntime.Posix;

/// <summary>
/// One descriptor a spawned child starts with: <see cref="Target"/> is either a dup of the
/// descriptor that the parent's <see cref="Source"/> owns (the parent keeps owning it; it is
/// leased for the spawn) or <see cref="OpenPath"/> opened with <see cref="OpenFlags"/>.
/// </summary>
internal readonly record struct SpawnFd(int Target, SafeHandle? Source, string? OpenPath, int OpenFlags)
{
    /// <summary>The descriptor of <paramref name="source"/> as the child's <paramref name="target"/>.</summary>
    public static SpawnFd Dup(SafeHandle source, int target) => new(target, source ?? throw new ArgumentNullException(nameof(source)), null, 0);

    /// <summary><paramref name="path"/> opened in the child as <paramref name="target"/>.</summary>
    public static SpawnFd Open(int target, string path, int flags) => new(target, null, path, flags);
}
