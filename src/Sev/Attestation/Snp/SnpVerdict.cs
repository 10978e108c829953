namespace Sev.Attestation.Snp;

/// <summary>A report that passed every check, with what it was checked against.</summary>
public sealed record SnpVerdict(SnpReport Report, VcekFacts Vcek, SnpTcb ReportedTcb, int MeasurementIndex);
