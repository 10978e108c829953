namespace SevRuntime.Posix;

/// <summary>
/// One descriptor a spawned child starts with: <see cref="Target"/> is either a dup of the
/// parent's <see cref="Source"/> or <see cref="OpenPath"/> opened with <see cref="OpenFlags"/>.
/// </summary>
internal readonly record struct SpawnFd(int Target, int Source, string? OpenPath, int OpenFlags)
{
    /// <summary>The parent's <paramref name="source"/> as the child's <paramref name="target"/>; the parent keeps owning it.</summary>
    public static SpawnFd Dup(int source, int target) => new(target, source, null, 0);

    /// <summary><paramref name="path"/> opened in the child as <paramref name="target"/>.</summary>
    public static SpawnFd Open(int target, string path, int flags) => new(target, -1, path, flags);
}
