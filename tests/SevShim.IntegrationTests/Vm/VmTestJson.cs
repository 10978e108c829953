using System.Text.Json.Serialization;

namespace SevShim.IntegrationTests.Vm;

/// <summary>Source-generated JSON for strings quoted into test specs.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class VmTestJson : JsonSerializerContext;
