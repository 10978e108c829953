using SevShim.Errors;

namespace SevShim.Tests.Errors;

/// <summary>
/// The failpoint mechanism the fault tests arm (SEVSHIM_FAILPOINTS): inert without the
/// variable, read at each hit from its file, an armed `error` failing the call Internal.
/// </summary>
public sealed class FailpointsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sevshim-failpoints-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Without_the_variable_nothing_fires_and_nothing_is_read()
    {
        var inert = Failpoints.FromEnvironment(null, Serilog.Core.Logger.None);
        Assert.Same(Failpoints.Inert, inert);
        Assert.False(inert.Enabled);
        Assert.True(inert.HitAsync("create", default).IsCompletedSuccessfully);
        Assert.Same(Failpoints.Inert, Failpoints.FromEnvironment("", Serilog.Core.Logger.None));
    }

    [Fact]
    public async Task The_file_is_read_at_each_hit_and_only_the_named_point_fires()
    {
        var points = Failpoints.FromEnvironment(_file, Serilog.Core.Logger.None);
        Assert.True(points.Enabled);
        await points.HitAsync("create", default); // no file yet: nothing armed

        await File.WriteAllTextAsync(_file, "start error\nexec delay 1\nkill bogus\n");
        await points.HitAsync("create", default);
        await points.HitAsync("exec", default);
        await points.HitAsync("kill", default); // an unknown action is logged, not fired
        var error = await Assert.ThrowsAsync<ShimException>(() => points.HitAsync("start", default));
        Assert.Equal(ShimErrorKind.Internal, error.Kind);
        Assert.Equal("sevshim: failpoint start injected an error", error.Message);

        File.Delete(_file);
        await points.HitAsync("start", default); // disarmed without a restart
    }
}
