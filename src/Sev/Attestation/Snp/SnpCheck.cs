namespace Sev.Attestation.Snp;

/// <summary>What an SNP attestation report failed: each refusal names one, so an operator knows which input to look at.</summary>
public enum SnpCheck
{
    /// <summary>The report's bytes: size, version, signature algorithm.</summary>
    Format,

    /// <summary>A certificate of the AMD chain (ARK, ASK, VCEK): format, algorithm, validity, or signature.</summary>
    Chain,

    /// <summary>The report's ECDSA P-384 signature under the VCEK.</summary>
    Signature,

    /// <summary>The report's chip id against the VCEK's hwID.</summary>
    ChipId,

    /// <summary>The report's reported TCB against the VCEK's, or against the configured minimum.</summary>
    Tcb,

    /// <summary>The launch measurement against the expected ones.</summary>
    Measurement,

    /// <summary>The guest policy against the launch's (and debugging never allowed).</summary>
    Policy,

    /// <summary>The report data against the nonce the verifier chose.</summary>
    ReportData,

    /// <summary>The VMPL the report was requested at.</summary>
    Vmpl,
}
