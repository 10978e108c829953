using SevAgentProto;

namespace SevAgent.Hosting;

/// <summary>
/// Command line of the agent. Every guest path is configurable so the agent can run on a host
/// for component tests. Usage (also printed by --help):
/// <code>
/// sevagent [--listen unix:PATH | --listen virtio-serial[:NAME]]
///          [--state-dir DIR] [--share-dir DIR] [--crun PATH] [--cgroup-parent NAME]
///          [--log-level debug|info|warning|error] [--version] [--help]
/// </code>
/// Without --listen the agent uses the virtio-serial port "sevagent.0". AF_VSOCK is planned, not
/// built (ARCHITECTURE.md, decision 3): these hosts have no /dev/vhost-vsock to test it on.
/// </summary>
internal sealed class AgentOptions
{
    public const string Usage =
        "usage: sevagent [--listen unix:PATH | --listen virtio-serial[:NAME]]\n" +
        "                [--state-dir DIR] [--share-dir DIR] [--crun PATH] [--cgroup-parent NAME]\n" +
        "                [--log-level debug|info|warning|error] [--version] [--help]\n" +
        "  default transport: virtio-serial port 'sevagent.0'\n";

    public ListenKind Listen { get; private set; } = ListenKind.Auto;

    /// <summary>The unix socket path (Unix), port name (VirtioSerial).</summary>
    public string ListenTarget { get; private set; } = string.Empty;

    public string StateDir { get; private set; } = AgentConstants.DefaultGuestStateDir;

    public string ShareDir { get; private set; } = AgentConstants.DefaultGuestShareDir;

    /// <summary>True when --share-dir was given: the directory is used as is, no 9p mount.</summary>
    public bool ShareDirGiven { get; private set; }

    public string? CrunPath { get; private set; }

    /// <summary>The cgroup (relative to the cgroup root) under which containers are placed.</summary>
    public string CgroupParent { get; private set; } = "sevagent";

    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; private set; } = Microsoft.Extensions.Logging.LogLevel.Information;

    public bool ShowVersion { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Parses <paramref name="args"/>; throws ArgumentException naming the bad flag.</summary>
    public static AgentOptions Parse(IReadOnlyList<string> args)
    {
        var o = new AgentOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{arg} needs a value\n{Usage}");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--listen":
                    o.ParseListen(Value());
                    break;
                case "--state-dir":
                    o.StateDir = Path.GetFullPath(Value());
                    break;
                case "--share-dir":
                    o.ShareDir = Path.GetFullPath(Value());
                    o.ShareDirGiven = true;
                    break;
                case "--crun":
                    o.CrunPath = Value();
                    break;
                case "--cgroup-parent":
                    o.CgroupParent = Value().Trim('/');
                    if (o.CgroupParent.Length == 0 || o.CgroupParent.Split('/').Contains(".."))
                    {
                        throw new ArgumentException($"--cgroup-parent '{o.CgroupParent}' must be a relative cgroup path without '..'");
                    }

                    break;
                case "--log-level":
                    o.LogLevel = Value() switch
                    {
                        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
                        "info" => Microsoft.Extensions.Logging.LogLevel.Information,
                        "warning" => Microsoft.Extensions.Logging.LogLevel.Warning,
                        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
                        var v => throw new ArgumentException($"--log-level '{v}' is not one of debug, info, warning, error"),
                    };
                    break;
                case "--version":
                    o.ShowVersion = true;
                    break;
                case "--help" or "-h":
                    o.ShowHelp = true;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{arg}'\n{Usage}");
            }
        }

        return o;
    }

    private void ParseListen(string value)
    {
        if (value.StartsWith("unix:", StringComparison.Ordinal) && value.Length > 5)
        {
            Listen = ListenKind.Unix;
            ListenTarget = Path.GetFullPath(value[5..]);
        }
        else if (value == "virtio-serial" || value.StartsWith("virtio-serial:", StringComparison.Ordinal))
        {
            Listen = ListenKind.VirtioSerial;
            ListenTarget = value.Length > 14 ? value[14..] : AgentConstants.VirtioSerialPortName;
        }
        else
        {
            throw new ArgumentException($"--listen '{value}' is not unix:PATH or virtio-serial[:NAME]");
        }
    }
}
