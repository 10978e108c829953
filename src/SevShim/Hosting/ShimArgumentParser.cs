namespace SevShim.Hosting;

/// <summary>
/// Parses the command line with Go's <c>flag</c> package rules, which containerd's shims use:
/// one or two dashes, <c>-name value</c> or <c>-name=value</c>, boolean flags only as
/// <c>-name</c> or <c>-name=true|false</c>, parsing stops at the first non-flag word or at
/// <c>--</c>. An unknown flag is an error, as it is for a Go shim.
/// </summary>
internal static class ShimArgumentParser
{
    private static readonly string[] StringFlags = ["namespace", "address", "publish-binary", "id", "bundle", "socket"];
    private static readonly string[] BoolFlags = ["debug", "v", "info"];

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ShimUsageException"/> with the fix.</summary>
    public static ShimArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new ShimArguments();
        var version = false;
        var info = false;
        var i = 0;
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                break;
            }

            var name = arg[(arg[1] == '-' ? 2 : 1)..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (BoolFlags.Contains(name))
            {
                var on = value switch
                {
                    null or "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
                    "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
                    _ => throw new ShimUsageException($"invalid boolean value \"{value}\" for flag -{name}: use -{name} or -{name}=false"),
                };
                switch (name)
                {
                    case "debug":
                        result = result with { Debug = on };
                        break;
                    case "v":
                        version = on;
                        break;
                    default:
                        info = on;
                        break;
                }

                continue;
            }

            if (!StringFlags.Contains(name))
            {
                throw new ShimUsageException($"flag provided but not defined: -{name}{Environment.NewLine}{Usage}");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new ShimUsageException($"flag needs an argument: -{name}");
                }

                value = args[++i];
            }

            result = name switch
            {
                "namespace" => result with { Namespace = value },
                "address" => result with { Address = value },
                "publish-binary" => result with { PublishBinary = value },
                "id" => result with { Id = value },
                "bundle" => result with { Bundle = value },
                _ => result with { Socket = value },
            };
        }

        var words = args.Skip(i).ToArray();
        var action = words.Length == 0 ? ShimAction.Daemon : words[0] switch
        {
            "start" => ShimAction.Start,
            "delete" => ShimAction.Delete,
            "version" => ShimAction.Version,
            "config" => ShimAction.Config,
            "check" => ShimAction.Check,
            "measure" => ShimAction.Measure,
            "attestation" => ShimAction.Attestation,
            _ => throw new ShimUsageException($"unknown action \"{words[0]}\"{Environment.NewLine}{Usage}"),
        };
        if (version)
        {
            action = ShimAction.Version;
        }
        else if (info)
        {
            action = ShimAction.Info;
        }

        result = result with { Action = action, Rest = words.Skip(1).ToArray() };
        Validate(result);
        return result;
    }

    /// <summary>The usage text printed with argument errors.</summary>
    public static string Usage => """
        usage: containerd-shim-sevshim-v2 [flags] [start|delete]   (run by containerd)
               containerd-shim-sevshim-v2 version | config [file] | check | measure | attestation POD
        flags: -namespace ns -address containerd.sock -publish-binary containerd -id id [-bundle dir] [-debug]
        """;

    /// <summary>containerd's actions need the flags containerd always passes.</summary>
    private static void Validate(ShimArguments a)
    {
        var needed = a.Action switch
        {
            ShimAction.Start or ShimAction.Daemon => new[] { ("namespace", a.Namespace), ("id", a.Id), ("address", a.Address) },
            ShimAction.Delete => [("namespace", a.Namespace), ("id", a.Id)],
            _ => [],
        };
        foreach (var (flag, value) in needed)
        {
            if (value.Length == 0)
            {
                var what = a.Action == ShimAction.Daemon ? "the daemon (no action word)" : a.Action.ToString().ToLowerInvariant();
                throw new ShimUsageException($"{what} needs -{flag}: this action is run by containerd, which passes it{Environment.NewLine}{Usage}");
            }
        }

        if (a.Action is ShimAction.Start or ShimAction.Delete or ShimAction.Daemon && a.Rest.Count > 0)
        {
            throw new ShimUsageException($"unexpected words after the action: {string.Join(' ', a.Rest)}");
        }
    }
}
