using Sev;
using Sev.Launch;
using SevShim.Config;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class ConfidentialPlannerTests
{
    [Fact]
    public void LaunchPlanFragmentsReachTheBuilderUnchanged()
    {
        var plan = new SevLaunchPlan
        {
            Mode = SevMode.Sev,
            Policy = 0x3,
            MachineProperties = ["confidential-guest-support=sev0"],
            Arguments = ["-object", "sev-guest,id=sev0,policy=0x3"],
            VirtioDeviceProperties = SevLaunchPlanner.VirtioSuffix,
            VirtioNetProperties = "romfile=",
            KernelParameters = ["swiotlb=262144"],
            SwiotlbSlabs = 262144,
        };
        var launch = ConfidentialPlanner.From(plan);
        Assert.Equal(plan.MachineProperties, launch.MachineProperties);
        Assert.Equal(plan.Arguments, launch.Arguments);
        Assert.Equal(plan.KernelParameters, launch.KernelParameters);
        Assert.True(launch.VirtioIommuPlatform);
    }

    [Theory]
    [InlineData("None", "None")]
    [InlineData("Sev", "Sev")]
    [InlineData("SevEs", "SevEs")]
    [InlineData("SevSnp", "SevSnp")]
    public void ModesMapOneToOne(string config, string sev) =>
        Assert.Equal(Enum.Parse<SevMode>(sev), ConfidentialPlanner.ToSevMode(Enum.Parse<ConfidentialMode>(config)));

    [Fact]
    public async Task NoneNeedsNoHostCheck() =>
        Assert.Null(await ConfidentialPlanner.PlanAsync(new ShimConfig { Confidential = ConfidentialMode.None }, CancellationToken.None));
}
