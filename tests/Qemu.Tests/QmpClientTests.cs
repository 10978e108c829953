using System.Text.Json.Nodes;

namespace Qemu.Tests;

public sealed class QmpClientTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Connect_reads_greeting_and_negotiates_capabilities_first()
    {
        await using var server = new FakeQmpServer();
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        Assert.Equal(new QemuVersion(7, 2, 22), client.Greeting.Version.Version);
        Assert.Equal("Debian 1:7.2+dfsg-7+deb12u18+b3", client.Greeting.Version.Package);
        Assert.Equal(["oob"], client.Greeting.Capabilities);
        Assert.True(server.Received.TryPeek(out var first));
        Assert.Equal("qmp_capabilities", first["execute"]!.GetValue<string>());
        Assert.Null(first["arguments"]);
    }

    [Fact]
    public async Task Execute_returns_the_return_value_and_query_version_parses_it()
    {
        await using var server = new FakeQmpServer();
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        var version = await QemuVersionProbe.QueryAsync(client, cts.Token);

        Assert.Equal(new QemuVersion(7, 2, 22), version.Version);
        Assert.Equal("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", version.ToString());
    }

    [Fact]
    public async Task Error_reply_becomes_exception_with_class_and_desc()
    {
        await using var server = new FakeQmpServer();
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        var ex = await Assert.ThrowsAsync<QmpErrorException>(() => client.ExecuteAsync("query-sev-capabilities", cts.Token));

        Assert.Equal("GenericError", ex.ErrorClass);
        Assert.Equal("KVM not enabled", ex.Description);
        Assert.Equal("query-sev-capabilities", ex.Command);
        Assert.Contains("KVM not enabled", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_and_a_string_id_are_sent()
    {
        await using var server = new FakeQmpServer(r => r["execute"]!.GetValue<string>() switch
        {
            "qmp_capabilities" => [FakeQmpServer.Return(r, "{}")],
            _ => [FakeQmpServer.Return(r, "{\"echo\": " + r["arguments"]!.ToJsonString() + "}")],
        });
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        var result = await client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info version" }, cts.Token);

        Assert.Equal("info version", result!["echo"]!["command-line"]!.GetValue<string>());
        var sent = server.Received.Last();
        Assert.StartsWith("sevshim-", sent["id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replies_are_matched_by_id_even_out_of_order()
    {
        JsonObject? held = null;
        await using var server = new FakeQmpServer(r =>
        {
            switch (r["execute"]!.GetValue<string>())
            {
                case "qmp_capabilities":
                    return [FakeQmpServer.Return(r, "{}")];
                case "first":
                    held = r; // answered only after "second"
                    return [];
                default:
                    return [FakeQmpServer.Return(r, "\"second-result\""), FakeQmpServer.Return(held!, "\"first-result\"")];
            }
        });
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        var first = client.ExecuteAsync("first", cts.Token);
        // Wait until the server has the first request so the order on the wire is fixed.
        while (server.Received.Count < 2)
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }

        var second = await client.ExecuteAsync("second", cts.Token);

        Assert.Equal("second-result", second!.GetValue<string>());
        Assert.Equal("first-result", (await first)!.GetValue<string>());
    }

    [Fact]
    public async Task Events_are_delivered_between_replies()
    {
        await using var server = new FakeQmpServer();
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        await server.SendAsync(FakeQmpServer.Event("STOP", "{}"));
        await client.ExecuteAsync("quit", cts.Token);

        var stop = await client.Events.ReadAsync(cts.Token);
        var shutdown = await client.Events.ReadAsync(cts.Token);
        Assert.Equal("STOP", stop.Name);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(2500), stop.Timestamp);
        Assert.Equal("SHUTDOWN", shutdown.Name);
        Assert.Equal("host-qmp-quit", shutdown.Data!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancelled_command_leaves_the_client_usable()
    {
        await using var server = new FakeQmpServer(r => r["execute"]!.GetValue<string>() switch
        {
            "never" => [],
            _ => FakeQmpServer.DefaultHandler(r),
        });
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);
        using var quick = new CancellationTokenSource();

        var never = client.ExecuteAsync("never", quick.Token);
        await quick.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => never);
        var version = await QemuVersionProbe.QueryAsync(client, cts.Token);
        Assert.Equal(7, version.Version.Major);
    }

    [Fact]
    public async Task Peer_closing_fails_pending_commands_and_completes_events()
    {
        await using var server = new FakeQmpServer(r => r["execute"]!.GetValue<string>() switch
        {
            "never" => [],
            _ => FakeQmpServer.DefaultHandler(r),
        });
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        var pending = client.ExecuteAsync("never", cts.Token);
        while (server.Received.Count < 2)
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }

        await server.CloseClientAsync();

        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => pending);
        await client.Events.Completion.WaitAsync(cts.Token);
        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.ExecuteAsync("query-version", cts.Token));
    }

    [Fact]
    public async Task A_peer_that_is_not_qmp_is_rejected()
    {
        await using var server = new FakeQmpServer(greeting: "{\"hello\": 1}");
        using var cts = new CancellationTokenSource(Generous);

        var ex = await Assert.ThrowsAsync<QmpProtocolException>(() => QmpClient.ConnectAsync(server.SocketPath, cts.Token));

        Assert.Contains("greeting", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connecting_to_a_missing_socket_names_the_path()
    {
        using var cts = new CancellationTokenSource(Generous);
        var path = Path.Combine(Path.GetTempPath(), "no-such-qmp-" + Guid.NewGuid().ToString("N") + ".sock");

        var ex = await Assert.ThrowsAsync<IOException>(() => QmpClient.ConnectAsync(path, cts.Token));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    // Fuzz findings (Fuzz.Tests QmpClientFuzz): a message that is valid JSON but not of QMP's
    // shape made JsonNode throw (ArgumentException for a name set twice, InvalidOperationException
    // for a member of the wrong type or a lone surrogate escape, ArgumentOutOfRangeException for a
    // timestamp out of range) inside the read loop: its task faulted, DisposeAsync rethrew, and a
    // command in flight failed with that exception instead of a QMP one.
    [Theory]
    [InlineData("""{"event": "STOP", "timestamp": {"seconds": 1, "seconds": 2}}""")]
    [InlineData("""{"event": 7}""")]
    [InlineData("""{"event": "STOP", "timestamp": {"seconds": "soon"}}""")]
    [InlineData("""{"event": "STOP", "timestamp": {"seconds": 9223372036854775807}}""")]
    [InlineData("""{"event": "\ud800"}""")]
    public async Task A_message_not_of_QMPs_shape_ends_the_connection_with_a_protocol_error(string line)
    {
        await using var server = new FakeQmpServer();
        using var cts = new CancellationTokenSource(Generous);
        var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        await server.SendAsync(line);
        await client.Completion.WaitAsync(cts.Token);
        var ex = await Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.ExecuteAsync("query-status", cts.Token));
        Assert.IsType<QmpProtocolException>(ex.InnerException);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task An_error_reply_of_the_wrong_shape_fails_the_command_with_a_protocol_error()
    {
        await using var server = new FakeQmpServer(r => r["execute"]!.GetValue<string>() == "qmp_capabilities"
            ? [FakeQmpServer.Return(r, "{}")]
            : ["{\"error\": {\"class\": 1, \"desc\": []}, \"id\": " + r["id"]!.ToJsonString() + "}"]);
        using var cts = new CancellationTokenSource(Generous);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, cts.Token);

        await Assert.ThrowsAsync<QmpProtocolException>(() => client.ExecuteAsync("query-status", cts.Token));
    }

    [Theory]
    [InlineData("""{"QMP": {"version": {"qemu": {"major": "8"}}, "capabilities": []}}""")]
    [InlineData("""{"QMP": {"version": {"qemu": {"major": 8}, "package": 1}, "capabilities": [1]}}""")]
    [InlineData("""{"QMP": {"version": {"qemu": {"major": 1e400}}}}""")]
    public async Task A_greeting_not_of_QMPs_shape_is_a_protocol_error(string greeting)
    {
        await using var server = new FakeQmpServer(greeting: greeting);
        using var cts = new CancellationTokenSource(Generous);

        await Assert.ThrowsAsync<QmpProtocolException>(() => QmpClient.ConnectAsync(server.SocketPath, cts.Token));
    }
}
