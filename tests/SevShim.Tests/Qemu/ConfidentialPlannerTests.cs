using Sev;
using SevShim.Config;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class ConfidentialPlannerTests
{
    [Theory]
    [InlineData("None", "None")]
    [InlineData("Sev", "Sev")]
    [InlineData("SevEs", "SevEs")]
    [InlineData("SevSnp", "SevSnp")]
    public void ModesMapOneToOne(string config, string sev) =>
        Assert.Equal(Enum.Parse<SevMode>(sev), Enum.Parse<SevMode>(config));

    [Fact]
    public async Task NoneNeedsNoHostCheck() =>
        Assert.Null(await ConfidentialPlanner.PlanAsync(new ShimConfig { Confidential = SevMode.None }, CancellationToken.None));
}
