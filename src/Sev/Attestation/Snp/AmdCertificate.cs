using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Sev.Attestation.Snp;

/// <summary>
/// One X.509 certificate of AMD's SEV-SNP key hierarchy (ARK, ASK, VCEK), read with the BCL's
/// DER reader rather than X509Certificate2: only the parts verification needs (the signed TBS,
/// the RSASSA-PSS signature, names, validity, the key and AMD's extensions), and nothing depends
/// on the platform's X.509 stack accepting AMD's quirks (the published Milan VCEK has serial 0).
/// </summary>
public sealed class AmdCertificate
{
    /// <summary>id-RSASSA-PSS (RFC 4055): every AMD SEV-SNP certificate is signed with it, SHA-384, salt 48.</summary>
    public const string RsaPssOid = "1.2.840.113549.1.1.10";

    private const string Sha384Oid = "2.16.840.1.101.3.4.2.2";
    private const string CommonNameOid = "2.5.4.3";

    private AmdCertificate(byte[] der)
    {
        Der = der;
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        Tbs = outer.ReadEncodedValue().ToArray();
        var algorithm = outer.ReadSequence();
        SignatureAlgorithm = algorithm.ReadObjectIdentifier();
        PssHash = SignatureAlgorithm == RsaPssOid && algorithm.HasData ? ReadPssHash(algorithm.ReadSequence()) : null;
        Signature = outer.ReadBitString(out _);

        var tbs = new AsnReader(Tbs, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            _ = tbs.ReadEncodedValue();
        }

        _ = tbs.ReadEncodedValue(); // serialNumber: any value, AMD's VCEK has 0
        _ = tbs.ReadEncodedValue(); // signature (repeated in the outer structure)
        Issuer = tbs.ReadEncodedValue().ToArray();
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        Subject = tbs.ReadEncodedValue().ToArray();
        SubjectCommonName = CommonName(Subject.ToArray());
        SubjectPublicKeyInfo = tbs.ReadEncodedValue().ToArray();
        var extensions = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var explicitExtensions = new Asn1Tag(TagClass.ContextSpecific, 3);
        while (tbs.HasData)
        {
            if (!tbs.PeekTag().HasSameClassAndValue(explicitExtensions))
            {
                _ = tbs.ReadEncodedValue(); // issuerUniqueID / subjectUniqueID
                continue;
            }

            var list = tbs.ReadSequence(explicitExtensions).ReadSequence();
            while (list.HasData)
            {
                var extension = list.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    _ = extension.ReadBoolean();
                }

                extensions[oid] = extension.ReadOctetString();
            }
        }

        Extensions = extensions;
    }

    /// <summary>The whole certificate.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>The DER of tbsCertificate: what the signature covers.</summary>
    public ReadOnlyMemory<byte> Tbs { get; }

    /// <summary>The outer signatureAlgorithm's OID.</summary>
    public string SignatureAlgorithm { get; }

    /// <summary>The PSS parameters' hash OID (null when not PSS or absent, i.e. SHA-1).</summary>
    public string? PssHash { get; }

    /// <summary>The signature value.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The issuer Name's DER.</summary>
    public ReadOnlyMemory<byte> Issuer { get; }

    /// <summary>The subject Name's DER.</summary>
    public ReadOnlyMemory<byte> Subject { get; }

    /// <summary>The subject's CN, for messages ("ARK-Milan", "SEV-Milan", "SEV-VCEK").</summary>
    public string SubjectCommonName { get; }

    /// <summary>notBefore.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>notAfter.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The SubjectPublicKeyInfo's DER.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>Extension values (the content of each extnValue OCTET STRING) by OID.</summary>
    public IReadOnlyDictionary<string, byte[]> Extensions { get; }

    /// <summary>Reads one DER certificate; anything else is a <see cref="SnpCheck.Chain"/> refusal naming <paramref name="what"/>.</summary>
    public static AmdCertificate FromDer(ReadOnlySpan<byte> der, string what)
    {
        try
        {
            return new AmdCertificate(der.ToArray());
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{what} is not a DER X.509 certificate: {ex.Message}", ex);
        }
    }

    /// <summary>Every CERTIFICATE block of a PEM text (AMD's KDS cert_chain holds ASK then ARK), in order.</summary>
    public static IReadOnlyList<AmdCertificate> FromPem(string pem, string what)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var certificates = new List<AmdCertificate>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                certificates.Add(FromDer(Convert.FromBase64String(rest[fields.Base64Data].ToString()), $"{what} (certificate {certificates.Count + 1})"));
            }

            rest = rest[fields.Location.End..];
        }

        return certificates.Count > 0
            ? certificates
            : throw new SnpVerificationException(SnpCheck.Chain, $"{what} holds no PEM CERTIFICATE block");
    }

    /// <summary>Reads a .pem (one or more blocks) or a .der file by its content.</summary>
    public static IReadOnlyList<AmdCertificate> Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.Length > 0 && bytes[0] == 0x30 ? [FromDer(bytes, path)] : FromPem(System.Text.Encoding.ASCII.GetString(bytes), path);
    }

    /// <summary>
    /// Throws a <see cref="SnpCheck.Chain"/> refusal unless <paramref name="issuer"/>'s RSA key
    /// signed this certificate with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48 (AMD's only
    /// scheme; .NET's PSS uses a salt of the hash's length), and the issuer name matches.
    /// </summary>
    public void VerifySignedBy(AmdCertificate issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (SignatureAlgorithm != RsaPssOid || PssHash != Sha384Oid)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{SubjectCommonName} is signed with {SignatureAlgorithm} ({PssHash ?? "no PSS hash"}), not RSASSA-PSS with SHA-384 as AMD signs");
        }

        if (!Issuer.Span.SequenceEqual(issuer.Subject.Span))
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{SubjectCommonName} names another issuer than {issuer.SubjectCommonName}");
        }

        bool valid;
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(issuer.SubjectPublicKeyInfo.Span, out _);
            valid = rsa.VerifyData(Tbs.Span, Signature.Span, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        }
        catch (CryptographicException ex)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{issuer.SubjectCommonName}'s key cannot check {SubjectCommonName}: {ex.Message}", ex);
        }

        if (!valid)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{SubjectCommonName}'s signature does not verify under {issuer.SubjectCommonName}'s key");
        }
    }

    /// <summary>Throws a <see cref="SnpCheck.Chain"/> refusal when <paramref name="now"/> is outside the validity.</summary>
    public void CheckValidAt(DateTimeOffset now)
    {
        if (now < NotBefore || now > NotAfter)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"{SubjectCommonName} is valid from {NotBefore:u} to {NotAfter:u}, not at {now:u}");
        }
    }

    private static string ReadPssHash(AsnReader parameters)
    {
        // RSASSA-PSS-params: [0] hashAlgorithm (default SHA-1), [1] mask, [2] salt, [3] trailer.
        var hashTag = new Asn1Tag(TagClass.ContextSpecific, 0);
        if (!parameters.HasData || !parameters.PeekTag().HasSameClassAndValue(hashTag))
        {
            return "1.3.14.3.2.26";
        }

        return parameters.ReadSequence(hashTag).ReadSequence().ReadObjectIdentifier();
    }

    private static DateTimeOffset ReadTime(AsnReader validity) =>
        validity.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? validity.ReadUtcTime() : validity.ReadGeneralizedTime();

    private static string CommonName(byte[] name)
    {
        var rdns = new AsnReader(name, AsnEncodingRules.DER).ReadSequence();
        var cn = string.Empty;
        while (rdns.HasData)
        {
            var set = rdns.ReadSetOf();
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                if (attribute.ReadObjectIdentifier() == CommonNameOid)
                {
                    cn = attribute.ReadCharacterString(attribute.PeekTag().TagValue switch
                    {
                        (int)UniversalTagNumber.PrintableString => UniversalTagNumber.PrintableString,
                        (int)UniversalTagNumber.IA5String => UniversalTagNumber.IA5String,
                        _ => UniversalTagNumber.UTF8String,
                    });
                }
                else
                {
                    _ = attribute.ReadEncodedValue();
                }
            }
        }

        return cn.Length > 0 ? cn : "a certificate without CN";
    }
}
