namespace Sev.Check;

/// <summary>Which KVM vendor module provides /dev/kvm.</summary>
internal enum KvmModule
{
    None,
    Amd,
    Intel,

    /// <summary>kvm_pvm: a PVM hypervisor module that runs only PVM-enabled guest kernels.</summary>
    Pvm,
}
