namespace SevAgent.Stats;

/// <summary>One device line of io.stat ("MAJ:MIN rbytes=... wbytes=... ...").</summary>
internal sealed class IoDeviceUsage
{
    public uint Major { get; set; }

    public uint Minor { get; set; }

    public ulong Rbytes { get; set; }

    public ulong Wbytes { get; set; }

    public ulong Rios { get; set; }

    public ulong Wios { get; set; }

    public ulong Dbytes { get; set; }

    public ulong Dios { get; set; }
}
