using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Agent;

/// <summary>What the stdio link's reader hands a stream: called on the reader's task, in the order the frames came, never blocking.</summary>
internal interface IStdioLinkStream
{
    /// <summary>"the stdout of c1/", for messages.</summary>
    string Name { get; }

    /// <summary>A Data frame's bytes; the stream owns the chunk from here.</summary>
    void Deliver(PooledChunk chunk);

    /// <summary>A Credit frame.</summary>
    void Grant(uint bytes);

    /// <summary>An End frame: the stream is over.</summary>
    void End();

    /// <summary>An Error frame, or the link's end: the stream failed.</summary>
    void Fail(ShimException error);
}
