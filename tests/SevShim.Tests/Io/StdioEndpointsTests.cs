using System.Diagnostics;
using System.Text;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Tests.Io;

public sealed class StdioEndpointsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-io-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Fifo(string name)
    {
        var path = Path.Combine(_dir.FullName, name);
        using var p = Process.Start("mkfifo", ["-m", "0600", path]);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    [Fact]
    public void OutputFifoOpensWithoutAReaderAndTheReaderSeesDataThenEof()
    {
        var path = Fifo("c1-stdout");
        using (var output = StdioEndpoints.OpenOutput(path)!)
        {
            output.WriteAll("hello\n"u8, CancellationToken.None);
            // Our O_RDWR handle keeps the data in the pipe until a reader comes.
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[6];
            reader.ReadExactly(buffer);
            Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer));
            output.Dispose();
            Assert.Equal(0, reader.Read(buffer));
        }
    }

    [Fact]
    public async Task WaitForReaderReturnsOnlyOnceAReaderTookEveryByte()
    {
        var path = Fifo("c2-stdout");
        using var output = StdioEndpoints.OpenOutput(path)!;
        var data = new byte[40 * 1024];
        output.WriteAll(data, CancellationToken.None);
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read);
        var waiting = Task.Run(() => output.WaitForReader(TimeSpan.FromSeconds(30), CancellationToken.None));
        // A reader that takes the bytes in small slices, pausing between them: progress, so no stall.
        var buffer = new byte[4096];
        var taken = 0;
        while (taken < data.Length)
        {
            Assert.False(waiting.IsCompleted, $"returned with {data.Length - taken} bytes still in the pipe");
            taken += reader.Read(buffer);
            await Task.Delay(20);
        }

        Assert.Equal(0, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void WaitForReaderGivesUpOnAReaderThatTakesNothingAndSaysWhatIsLeft()
    {
        var path = Fifo("c3-stdout");
        using var output = StdioEndpoints.OpenOutput(path)!;
        output.WriteAll("never read\n"u8, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        Assert.Equal(11, output.WaitForReader(TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 10_000);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Equal(11, output.WaitForReader(TimeSpan.FromSeconds(30), cancelled.Token));
    }

    [Fact]
    public void WaitForReaderDoesNotWaitOnARegularFile()
    {
        var path = Path.Combine(_dir.FullName, "log");
        using var output = StdioEndpoints.OpenOutput(path)!;
        output.WriteAll("line\n"u8, CancellationToken.None);
        Assert.Equal(0, output.WaitForReader(TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    [Fact]
    public void StdinFifoReadsUntilTheClientClosedAndTheKeepAliveWriterIsDropped()
    {
        var path = Fifo("c1-stdin");
        var (reader, keepAlive) = StdioEndpoints.OpenInput(path);
        using var r = reader!;
        using var k = keepAlive!;
        using (var client = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            client.Write("abc"u8);
        }

        var buffer = new byte[16];
        Assert.Equal(3, r.Read(buffer, CancellationToken.None));
        // The client closed, but our keep-alive writer still holds the FIFO open: no EOF yet.
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            Assert.Throws<OperationCanceledException>(() => r.Read(buffer, soon.Token));
        }

        k.Dispose();
        Assert.Equal(0, r.Read(buffer, CancellationToken.None));
    }

    [Fact]
    public void FileUriAppendsAndCreatesParents()
    {
        var file = Path.Combine(_dir.FullName, "logs", "c1.log");
        using (var output = StdioEndpoints.OpenOutput("file://" + file)!)
        {
            output.WriteAll("one\n"u8, CancellationToken.None);
        }

        using (var output = StdioEndpoints.OpenOutput("file://" + file)!)
        {
            output.WriteAll("two\n"u8, CancellationToken.None);
        }

        Assert.Equal("one\ntwo\n", File.ReadAllText(file));
    }

    [Fact]
    public void EmptyPathsMeanNoStream()
    {
        Assert.Null(StdioEndpoints.OpenOutput(string.Empty));
        Assert.Equal((null, null), StdioEndpoints.OpenInput(string.Empty));
    }

    [Fact]
    public void BadPathsAreRefusedWithTheFix()
    {
        Assert.Equal(ShimErrorKind.Unimplemented, Assert.Throws<ShimException>(() => StdioEndpoints.OpenOutput("binary:///usr/bin/logger?x=1")).Kind);
        Assert.Equal(ShimErrorKind.InvalidArgument, Assert.Throws<ShimException>(() => StdioEndpoints.OpenOutput("relative/fifo")).Kind);
        Assert.Equal(ShimErrorKind.InvalidArgument, Assert.Throws<ShimException>(() => StdioEndpoints.OpenInput(Path.Combine(_dir.FullName, "missing"))).Kind);
    }
}
