namespace Sev.Check;

/// <summary>Distribution families whose boot-loader and package commands differ.</summary>
public enum DistroFamily
{
    /// <summary>Not recognised: fixes are given in generic form.</summary>
    Unknown,

    /// <summary>Debian and Ubuntu (ID or ID_LIKE debian/ubuntu): update-grub, apt-get.</summary>
    Debian,

    /// <summary>RHEL, Fedora, CentOS, Rocky, Alma (ID or ID_LIKE rhel/fedora): grub2-mkconfig, dnf.</summary>
    RedHat,

    /// <summary>SLES and openSUSE (ID or ID_LIKE suse/sles/opensuse): grub2-mkconfig, zypper.</summary>
    Suse,
}
