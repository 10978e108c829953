using System.Formats.Asn1;

namespace Sev.Attestation.Snp;

/// <summary>
/// What AMD's VCEK certificate says about the chip it belongs to (AMD's "Versioned Chip Endorsement
/// Key" specification, extension OIDs under 1.3.6.1.4.1.3704.1): the product name, the chip's
/// hwID (its CHIP_ID) and the TCB the key was derived for, whose SPLs must equal the report's
/// REPORTED_TCB. A missing extension is a <see cref="SnpCheck.Chain"/> refusal: no VCEK lacks them.
/// </summary>
public sealed record VcekFacts(string ProductName, ReadOnlyMemory<byte> HardwareId, SnpTcb Tcb)
{
    private const string ProductNameOid = "1.3.6.1.4.1.3704.1.2";
    private const string BootLoaderSplOid = "1.3.6.1.4.1.3704.1.3.1";
    private const string TeeSplOid = "1.3.6.1.4.1.3704.1.3.2";
    private const string SnpSplOid = "1.3.6.1.4.1.3704.1.3.3";
    private const string MicrocodeSplOid = "1.3.6.1.4.1.3704.1.3.8";
    private const string FmcSplOid = "1.3.6.1.4.1.3704.1.3.9";
    private const string HardwareIdOid = "1.3.6.1.4.1.3704.1.4";

    /// <summary>The TCB byte layout of this product ("Turin-…" has its own).</summary>
    public SnpTcbLayout Layout => LayoutOf(ProductName);

    /// <summary>Reads the facts of <paramref name="vcek"/>.</summary>
    public static VcekFacts From(AmdCertificate vcek)
    {
        ArgumentNullException.ThrowIfNull(vcek);
        try
        {
            var product = new AsnReader(Extension(vcek, ProductNameOid, "productName"), AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.IA5String);
            var layout = LayoutOf(product);
            var tcb = new SnpTcb(
                Spl(vcek, BootLoaderSplOid, "blSPL"),
                Spl(vcek, TeeSplOid, "teeSPL"),
                Spl(vcek, SnpSplOid, "snpSPL"),
                Spl(vcek, MicrocodeSplOid, "ucodeSPL"),
                layout == SnpTcbLayout.Turin ? Spl(vcek, FmcSplOid, "fmcSPL") : null);
            return new VcekFacts(product, ReadHardwareId(Extension(vcek, HardwareIdOid, "hwID")), tcb);
        }
        catch (AsnContentException ex)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"the VCEK's AMD extensions are malformed: {ex.Message}", ex);
        }
    }

    private static SnpTcbLayout LayoutOf(string product) =>
        product.StartsWith("Turin", StringComparison.OrdinalIgnoreCase) ? SnpTcbLayout.Turin : SnpTcbLayout.MilanGenoa;

    private static byte[] Extension(AmdCertificate vcek, string oid, string name) =>
        vcek.Extensions.TryGetValue(oid, out var value)
            ? value
            : throw new SnpVerificationException(SnpCheck.Chain, $"{vcek.SubjectCommonName} has no {name} extension ({oid}): it is not an AMD VCEK");

    private static byte Spl(AmdCertificate vcek, string oid, string name)
    {
        var value = new AsnReader(Extension(vcek, oid, name), AsnEncodingRules.DER).ReadInteger();
        return value >= 0 && value <= byte.MaxValue
            ? (byte)value
            : throw new SnpVerificationException(SnpCheck.Chain, $"the VCEK's {name} {value} is not an SVN (0 to 255)");
    }

    // The Milan VCEK wraps the 64-byte hwID in an OCTET STRING; accept the bare 64 bytes as well.
    private static byte[] ReadHardwareId(byte[] value) =>
        value.Length == 64 ? value : new AsnReader(value, AsnEncodingRules.DER).ReadOctetString();
}
