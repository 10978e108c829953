namespace SevShim.IntegrationTests.Support;

/// <summary>An end-to-end failure whose message already carries the logs.</summary>
public sealed class CtrE2EException : Exception
{
    public CtrE2EException()
    {
    }

    public CtrE2EException(string message)
        : base(message)
    {
    }

    public CtrE2EException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
