namespace SevShim.Errors;

/// <summary>
/// An error of the shim's domain with its <see cref="ShimErrorKind"/>. Messages name the thing
/// that failed and, where there is one, the fix; they reach the containerd user verbatim.
/// </summary>
internal sealed class ShimException : Exception
{
    /// <summary>Creates an error of <paramref name="kind"/>.</summary>
    public ShimException(ShimErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates an error of <paramref name="kind"/> caused by <paramref name="innerException"/>.</summary>
    public ShimException(ShimErrorKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Creates an Internal error (for serializers and analyzers that want the standard constructors).</summary>
    public ShimException()
        : this(ShimErrorKind.Internal, "sevshim: internal error")
    {
    }

    /// <summary>Creates an Internal error with <paramref name="message"/>.</summary>
    public ShimException(string message)
        : this(ShimErrorKind.Internal, message)
    {
    }

    /// <summary>Creates an Internal error with <paramref name="message"/> and its cause.</summary>
    public ShimException(string message, Exception innerException)
        : this(ShimErrorKind.Internal, message, innerException)
    {
    }

    /// <summary>What kind of failure this is.</summary>
    public ShimErrorKind Kind { get; }
}
