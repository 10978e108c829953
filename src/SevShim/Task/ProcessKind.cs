namespace SevShim.Tasks;

/// <summary>Which transition table applies: a container's init process or an exec.</summary>
internal enum ProcessKind
{
    /// <summary>The container's init process (the task itself).</summary>
    Init,

    /// <summary>An additional process added with Exec.</summary>
    Exec,
}
