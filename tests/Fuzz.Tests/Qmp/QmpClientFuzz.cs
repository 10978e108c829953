using CsCheck;
using Fuzz.Tests.Harness;
using Qemu;
using Xunit.Abstractions;

namespace Fuzz.Tests.Qmp;

/// <summary>
/// Target 4: <see cref="QmpClient"/>'s parsing of what QEMU sends, through its public surface:
/// a scripted session (greeting, the capabilities reply, then replies and events) from mutated
/// seeds (Corpus/qmp) and fresh lines of QMP's keys with values of every JSON type. The
/// handshake gives a client or a QMP exception; the read loop then ends cleanly (its task never
/// faults, dispose never throws) and a command in flight gets a value or a QMP exception. A line
/// over the client's line bound is a QMP protocol error, never unbounded buffering.
/// </summary>
public sealed class QmpClientFuzz(ITestOutputHelper output)
{
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    private static readonly string[] Keys =
        ["QMP", "version", "qemu", "major", "minor", "micro", "package", "capabilities", "return", "error", "class", "desc", "id", "event",
         "timestamp", "seconds", "microseconds", "data"];

    private static readonly string[] Strings = ["sevshim-1", "sevshim-2", "sevshim-3", "SHUTDOWN", "RESUME", "GenericError", "oob", "", "8.2.2"];

    private static readonly Gen<string> Fresh = Gen.Select(
        Gen.Frequency(
            (2, Gen.Select(Gen.Int[-1, 10], Gen.Int[0, 3], JsonGen.Scalar(Strings), (major, minor, caps) =>
                $"{{\"QMP\": {{\"version\": {{\"qemu\": {{\"major\": {major}, \"minor\": {minor}, \"micro\": 0}}, \"package\": \"\"}}, \"capabilities\": [{caps}]}}}}")),
            (1, JsonGen.Object(Keys, Strings))),
        Gen.Frequency((3, Gen.Const("{\"return\": {}, \"id\": \"sevshim-1\"}")), (1, JsonGen.Object(Keys, Strings))),
        JsonGen.Object(Keys, Strings, maxDepth: 4).Array[0, 6],
        (greeting, capabilities, lines) => string.Join('\n', [greeting, capabilities, .. lines]) + "\n");

    // The client runs with a line bound of 4 KiB instead of QMP's 16 MiB, so that lines over it
    // cost little: a line about as long as the bound, with or without its newline (then the
    // session ends with it), goes anywhere in a fresh session (QmpLineReader).
    private const int LineBound = 4096;

    private static readonly Gen<string> LongLines = Gen.Select(
        Fresh,
        Gen.Frequency((3, Gen.Int[LineBound - 8, LineBound + 8]), (1, Gen.Int[0, 4 * LineBound])),
        Gen.Int[0, 4],
        Gen.Bool,
        (session, length, at, newline) =>
        {
            var lines = session.TrimEnd('\n').Split('\n').ToList();
            const string Head = "{\"return\": \"";
            const string Tail = "\", \"id\": \"sevshim-2\"}";
            var line = Head + new string('a', Math.Max(0, length - Head.Length - Tail.Length)) + Tail;
            var index = Math.Min(at, lines.Count);
            lines.Insert(index, line);
            return newline ? string.Join('\n', lines) + "\n" : string.Join('\n', lines.Take(index + 1));
        });

    private static readonly Gen<string> Sessions = Gen.Frequency(
        (2, Mutations.Text(Corpus.Text("qmp"), [.. JsonGen.Tokens, "sevshim-2", "\"event\"", "\"id\"", "\"return\"", "\"error\""])),
        (2, Fresh),
        (1, LongLines));

    [Fact]
    public Task A_client_or_a_QMP_error_and_a_clean_end() => Fuzzer.RunAsync(
        new FuzzTarget<string>(
            "QMP client",
            Sessions,
            session => Fuzzer.Bounded(PerInput, token => SessionAsync(session, token)),
            IsQmpError,
            Mutations.Show)
        {
            ShortRun = 10_000,
            TimeLimit = PerInput,
            HangAfter = PerInput * 2,
            AllThreads = true,
            Threads = 1,
            AllocationCap = session => (1L << 20) + (session.Length * 400L),
        },
        output);

    private static bool IsQmpError(Exception ex) => ex is QmpProtocolException or QmpConnectionClosedException or QmpErrorException;

    private static async Task SessionAsync(string session, CancellationToken token)
    {
        var client = await QmpClient.StartAsync(new QmpSessionStream(session), LineBound, token);
        try
        {
            try
            {
                _ = await client.ExecuteAsync("query-status", token);
            }
            catch (Exception ex) when (IsQmpError(ex))
            {
                // A refusal or the end of the script: both clean.
            }

            await client.Completion.WaitAsync(token);
            while (client.Events.TryRead(out var e))
            {
                Fuzzer.Require(e.Name is not null, "an event without a name");
            }
        }
        finally
        {
            await client.DisposeAsync();
        }
    }
}
