namespace TestSupport;

/// <summary>Names of the prerequisites <see cref="Prerequisites"/> knows.</summary>
public static class Requirement
{
    public const string Root = "root";
    public const string Containerd = "containerd";
    public const string Ctr = "ctr";
    public const string Qemu = "qemu";
    public const string Qemu10 = "qemu-10";
    public const string Crun = "crun";
    public const string Runc = "runc";
    public const string ShimBinary = "shim-binary";
    public const string AgentBinary = "agent-binary";
    public const string GuestImage = "guest-image";
    public const string CniPlugins = "cni-plugins";
    public const string Iproute = "iproute2";
}
