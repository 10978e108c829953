using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sev.Attestation.Snp;

namespace Sev.Tests.Attestation.Snp;

/// <summary>
/// A fake AMD key hierarchy made in the test (RSA-2048 ARK and ASK with RSASSA-PSS/SHA-384, a
/// P-384 VCEK with AMD's extensions) that signs reports it builds, so checks the published vector
/// cannot reach (a validly signed report of another chip, TCB or VMPL) are tested too.
/// </summary>
internal sealed class FakeAmdKeyChain : IDisposable
{
    public static readonly SnpTcb Tcb = new(BootLoader: 3, Tee: 0, Snp: 8, Microcode: 115, Fmc: null);

    private readonly RSA _ark = RSA.Create(2048);
    private readonly RSA _ask = RSA.Create(2048);
    private readonly ECDsa _vcek = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    private FakeAmdKeyChain(string product)
    {
        var now = DateTimeOffset.UtcNow;
        var arkName = new X500DistinguishedName("CN=ARK-Fake, O=Fake");
        var askName = new X500DistinguishedName("CN=SEV-Fake, O=Fake");
        var ark = new CertificateRequest(arkName, _ark, HashAlgorithmName.SHA384, RSASignaturePadding.Pss)
            .Create(arkName, X509SignatureGenerator.CreateForRSA(_ark, RSASignaturePadding.Pss), now.AddDays(-1), now.AddYears(5), [1]);
        var ask = new CertificateRequest(askName, _ask, HashAlgorithmName.SHA384, RSASignaturePadding.Pss)
            .Create(arkName, X509SignatureGenerator.CreateForRSA(_ark, RSASignaturePadding.Pss), now.AddDays(-1), now.AddYears(5), [2]);
        var vcekRequest = new CertificateRequest("CN=SEV-VCEK, O=Fake", _vcek, HashAlgorithmName.SHA384);
        void Add(string oid, byte[] value) => vcekRequest.CertificateExtensions.Add(new X509Extension(oid, value, critical: false));
        Add("1.3.6.1.4.1.3704.1.2", Der(w => w.WriteCharacterString(UniversalTagNumber.IA5String, product)));
        Add("1.3.6.1.4.1.3704.1.3.1", Der(w => w.WriteInteger(Tcb.BootLoader)));
        Add("1.3.6.1.4.1.3704.1.3.2", Der(w => w.WriteInteger(Tcb.Tee)));
        Add("1.3.6.1.4.1.3704.1.3.3", Der(w => w.WriteInteger(Tcb.Snp)));
        Add("1.3.6.1.4.1.3704.1.3.8", Der(w => w.WriteInteger(Tcb.Microcode)));
        Add("1.3.6.1.4.1.3704.1.4", Der(w => w.WriteOctetString(ChipId)));
        var vcek = vcekRequest.Create(askName, X509SignatureGenerator.CreateForRSA(_ask, RSASignaturePadding.Pss), now.AddDays(-1), now.AddYears(5), [3]);
        Certificates = new SnpCertificates(
            AmdCertificate.FromDer(ark.RawData, "fake ARK"), AmdCertificate.FromDer(ask.RawData, "fake ASK"), AmdCertificate.FromDer(vcek.RawData, "fake VCEK"));
    }

    /// <summary>The chip id the fake VCEK is for.</summary>
    public static byte[] ChipId { get; } = Enumerable.Range(0, 64).Select(i => (byte)(0xC0 ^ i)).ToArray();

    public SnpCertificates Certificates { get; }

    public static FakeAmdKeyChain Create(string product = "Milan-B0") => new(product);

    /// <summary>
    /// A signed v2 report. Defaults: policy 0x30000, VMPL 0, VCEK signing key, this chain's chip id and TCB
    /// (Milan/Genoa layout), the given measurement and report data; <paramref name="edit"/> changes bytes before signing.
    /// </summary>
    public byte[] SignedReport(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> measurement, Action<byte[]>? edit = null)
    {
        var r = new byte[SnpReport.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(r, 2);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x08), 0x30000);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(0x34), SnpReport.EcdsaP384Sha384);
        var tcb = MilanTcb(Tcb);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x38), tcb);
        reportData.CopyTo(r.AsSpan(0x50));
        measurement.CopyTo(r.AsSpan(0x90));
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x180), tcb);
        ChipId.CopyTo(r.AsSpan(0x1A0));
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x1E0), tcb);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x1F0), tcb);
        edit?.Invoke(r);
        var signature = _vcek.SignData(r.AsSpan(0, SnpReport.SignedSize), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        for (var component = 0; component < 2; component++)
        {
            var big = signature.AsSpan(component * 48, 48).ToArray();
            Array.Reverse(big);
            big.CopyTo(r.AsSpan(SnpReport.SignedSize + (component * 72)));
        }

        return r;
    }

    /// <summary>The raw Milan/Genoa TCB_VERSION of <paramref name="tcb"/>.</summary>
    public static ulong MilanTcb(SnpTcb tcb) =>
        tcb.BootLoader | ((ulong)tcb.Tee << 8) | ((ulong)tcb.Snp << 48) | ((ulong)tcb.Microcode << 56);

    public void Dispose()
    {
        _ark.Dispose();
        _ask.Dispose();
        _vcek.Dispose();
    }

    private static byte[] Der(Action<AsnWriter> write)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        write(writer);
        return writer.Encode();
    }
}
