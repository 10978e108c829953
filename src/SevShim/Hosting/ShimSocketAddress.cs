using System.Security.Cryptography;
using System.Text;

namespace SevShim.Hosting;

/// <summary>
/// The shim's socket address, computed as containerd's shim package does (SHIM-PROTOCOL 4.4):
/// <c>unix://</c> + socket dir + <c>/</c> + hex(sha256(filepath.Join(address, namespace, key))),
/// where address is the <c>-address</c> flag and key is the pod's grouping key. containerd 1.6 to
/// 2.2 always use /run/containerd/s; SEVSHIM_SOCKET_DIR (inherited from containerd's environment)
/// moves it, so that tests with a private containerd leave the host's /run/containerd alone.
/// </summary>
internal static class ShimSocketAddress
{
    /// <summary>containerd's socket root (defaults.DefaultStateDir + "/s").</summary>
    public const string DefaultSocketDir = "/run/containerd/s";

    /// <summary>Environment variable overriding <see cref="DefaultSocketDir"/>.</summary>
    public const string SocketDirVariable = "SEVSHIM_SOCKET_DIR";

    /// <summary>The scheme containerd requires; without it the path is taken as an abstract socket.</summary>
    public const string Scheme = "unix://";

    /// <summary>Go's socketPathLimit: sun_path holds 108 bytes; Go keeps two for safety.</summary>
    public const int SocketPathLimit = 106;

    /// <summary>The socket directory for this process (the override or the default).</summary>
    public static string SocketDir(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var dir = environment(SocketDirVariable);
        if (string.IsNullOrEmpty(dir))
        {
            return DefaultSocketDir;
        }

        return Path.IsPathFullyQualified(dir)
            ? GoPath.Clean(dir)
            : throw new ShimUsageException($"{SocketDirVariable}='{dir}' is relative; give an absolute directory");
    }

    /// <summary>The address to print and to write into the bundle's address file.</summary>
    public static string Compute(string containerdAddress, string ns, string groupKey, string socketDir)
    {
        ArgumentNullException.ThrowIfNull(socketDir);
        var hashed = GoPath.Join(containerdAddress, ns, groupKey);
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashed)));
        var path = GoPath.Join(socketDir, name);
        if (Encoding.UTF8.GetByteCount(path) > SocketPathLimit)
        {
            throw new ShimUsageException($"socket path {path} is longer than {SocketPathLimit} bytes; use a shorter {SocketDirVariable}");
        }

        return Scheme + path;
    }

    /// <summary>The filesystem path inside a <c>unix://</c> address.</summary>
    public static string PathOf(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.StartsWith(Scheme, StringComparison.Ordinal)
            ? address[Scheme.Length..]
            : throw new ShimUsageException($"address '{address}' does not start with {Scheme}");
    }
}
