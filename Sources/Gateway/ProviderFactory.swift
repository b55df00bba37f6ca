import Providers

/// Makes the gateway's upstreams from its configuration: one provider per `[[upstreams]]` entry,
/// or, with none, the implicit `nexus` upstream (AI Nexus at `endpoint` with `NEXUS_API_KEY`).
/// A new upstream kind adds its line here.
enum ProviderFactory {
    static func providers(
        _ configuration: GatewayConfiguration, implicit client: NexusClient, endpoints: [String: UpstreamEndpoint],
        signatures: SignatureLedger
    ) -> [any Provider] {
        guard !configuration.upstreams.isEmpty else {
            let spec = UpstreamSpec(name: "nexus", kind: .converse, endpoint: configuration.endpoint, key: client.key)
            return [
                ConverseProvider(
                    spec: spec, endpoint: client.endpoint, catalog: configuration.catalog,
                    translation: configuration.translation, signatures: signatures)
            ]
        }
        return configuration.upstreams.map { spec -> any Provider in
            let endpoint = endpoints[spec.name] ?? UpstreamEndpoint(spec.endpoint)
            switch spec.kind {
            case .converse:
                return ConverseProvider(
                    spec: spec, endpoint: endpoint, catalog: configuration.catalog,
                    translation: configuration.translation,
                    signatures: signatures)
            case .anthropic:
                return AnthropicProvider(spec: spec, endpoint: endpoint, signatures: signatures)
            }
        }
    }
}
