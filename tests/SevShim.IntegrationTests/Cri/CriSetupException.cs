namespace SevShim.IntegrationTests.Cri;

/// <summary>The shared CRI setup (containerd or a shared pod) failed; the message carries the logs.</summary>
public sealed class CriSetupException : Exception
{
    public CriSetupException()
    {
    }

    public CriSetupException(string message)
        : base(message)
    {
    }

    public CriSetupException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
