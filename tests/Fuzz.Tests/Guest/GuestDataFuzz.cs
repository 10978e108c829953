using Sev;
using CsCheck;
using Fuzz.Tests.Harness;
using Google.Protobuf;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Confidential;
using SevShim.Errors;
using Xunit.Abstractions;
using Proto = SevAgent.Protocol.V1;

namespace Fuzz.Tests.Guest;

/// <summary>
/// Target 5: what the shim reads from the guest (untrusted). Random and mutated bytes (Corpus/guest)
/// are parsed with the generated parsers of GuestInfo, ContainerStats and ListenerSet, and
/// fresh messages are built with any field values; then mapped as the shim maps them
/// (AgentProtoMapper.FromProto, StatsMapper.ToDomain, the listener list of GuestAgent) and judged
/// by GuestSevVerifier for every mode: a value, InvalidProtocolBufferException for bytes that
/// are no message, or the verifier's FailedPrecondition; a verdict is active only when some
/// source shows the requested features and none contradicts them.
/// LocalhostForwarder's listener filtering is private to its watch loop (sockets): not a pure part.
/// </summary>
public sealed class GuestDataFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> Kernel = Gen.Frequency(
        (2, Gen.OneOf(
            "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP", "AMD Memory Encryption Features active: SEV", "AMD Secure Encrypted Virtualization (SEV) active",
            "Memory Encryption Features active:", "Memory Encryption Features active: SEV-SNP  SEV", "", " ")),
        (1, Gen.String));

    private static readonly Gen<Proto.GuestInfo> FreshInfo = Gen.Select(
        Gen.String, Gen.UInt, Gen.ULong, Gen.Bool,
        Gen.Select(Gen.Int[0, 3], Gen.ULong, Gen.String, Kernel, Gen.Bool, Gen.Bool, Gen.Bool),
        (release, cpus, memory, hasSev, sev) => new Proto.GuestInfo
        {
            KernelRelease = release,
            Cpus = cpus,
            MemoryTotalBytes = memory,
            Sev = hasSev
                ? new Proto.SevStatus
                {
                    State = (Proto.SevStatus.Types.State)sev.Item1,
                    MsrValue = sev.Item2,
                    Reason = sev.Item3,
                    KernelMessage = sev.Item4,
                    Sev = sev.Item5,
                    SevEs = sev.Item6,
                    Snp = sev.Item7,
                }
                : null,
        });

    private static readonly Gen<byte[]> Bytes = Gen.Frequency(
        (2, Mutations.Bytes(Corpus.Bytes("guest"))),
        (1, FreshInfo.Select(i => i.ToByteArray())),
        (1, Gen.Byte.Array[0, 64]));

    [Fact]
    public Task A_value_or_the_shims_error() => Fuzzer.RunAsync(
        new FuzzTarget<byte[]>("guest data (agent answers)", Bytes, MapAll, ex => ex is InvalidProtocolBufferException or ShimException, b => Corpus.ToHex(b))
        {
            AllocationCap = b => (1L << 20) + (b.Length * 200L),
        },
        output);

    // Each message type on its own: bytes that are no GuestInfo may still be a ListenerSet.
    private static void MapAll(byte[] bytes)
    {
        var stats = Parsed(bytes, Proto.ContainerStats.Parser);
        _ = stats is null ? null : StatsMapper.ToDomain(stats);
        if (Parsed(bytes, Proto.ListenerSet.Parser) is { } set)
        {
            var listeners = set.Listeners.Select(l => new GuestListener(l.Port, l.Ipv6)).ToList();
            Fuzzer.Require(listeners.Count <= bytes.Length, "more listeners than bytes");
        }

        Judge(AgentProtoMapper.FromProto(Proto.GuestInfo.Parser.ParseFrom(bytes)));
    }

    private static T? Parsed<T>(byte[] bytes, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static void Judge(GuestInfo info)
    {
        foreach (var mode in Enum.GetValues<SevMode>())
        {
            var verdict = GuestSevVerifier.Evaluate(mode, info.Sev);
            var required = GuestSevVerifier.Required(mode);
            var msr = info.Sev is { MsrKnown: true } s ? (GuestSevFeatures?)(GuestSevFeatures)(s.MsrValue & 7) : null;
            var kernel = KernelEncryptionLine.Parse(info.Sev?.KernelMessage);
            var expected = required == GuestSevFeatures.None
                || ((msr is not null || kernel is not null) && (msr is not { } m || m.HasFlag(required)) && (kernel is not { } k || k.HasFlag(required)));
            Fuzzer.Require(verdict.Active == expected, $"mode {mode}: verdict {verdict}, expected active {expected}");
        }

        GuestSevVerifier.Require(ShimConfig.Defaults, info, Serilog.Core.Logger.None);
    }
}
