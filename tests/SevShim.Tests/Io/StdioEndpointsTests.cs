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
