import AnthropicAPI
import BedrockAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON
import Translation

/// The gateway's version, shown by `--version` and `/health`.
public let gatewayVersion = "0.1.0"

extension Gateway {
    /// `GET /` and `GET /health`: liveness and what the gateway points at (each upstream, and
    /// each target requests have used: healthy or cooling down, last error); never a key.
    public func health(_ request: Request, context: some RequestContext) -> Response {
        let now = ContinuousClock.now
        let upstreams: [JSONValue] = routes.providers.map { provider in
            let spec = provider.spec
            return [
                "name": .string(spec.name), "kind": .string(spec.kind.rawValue),
                "endpoint": .string(UpstreamErrors.host(of: provider.endpointURL)),
                "auth": .string(spec.auth.rawValue), "key_configured": .bool(spec.key != nil),
            ]
        }
        let targets: [JSONValue] = routes.targetHealth.map { health in
            let snapshot = health.snapshot(now: now)
            var object: JSONObject = [
                "target": .string(snapshot.name), "status": .string(snapshot.status), "served": .int(snapshot.served),
                "failed": .int(snapshot.failed),
            ]
            if let error = snapshot.lastError { object["last_error"] = .string(JSONString(error)) }
            if let age = snapshot.lastErrorAge { object["last_error_seconds_ago"] = .int(age) }
            return .object(object)
        }
        let status: JSONValue = [
            "status": "ok", "service": "nexus-claude-api", "version": .string(gatewayVersion),
            "endpoint": .string(UpstreamErrors.host(of: routes.providers[0].endpointURL)),
            "simulated": .bool(configuration.simulated),
            "key_configured": .bool(routes.providers[0].spec.key != nil),
            "auth_required": .bool(configuration.proxyKey != nil),
            "models": .array(configuration.catalog.profiles.map { .string($0.nexusID) }),
            "upstreams": .array(upstreams), "targets": .array(targets),
        ]
        return jsonResponse(status, requestID: Identifier.make("req_"))
    }

    /// `POST /v1/messages/count_tokens`: the route's targets count (AI Nexus's CountTokens, an
    /// Anthropic upstream's count_tokens), attempts decided by `ExchangeStateMachine` as for
    /// messages (retries, fallback, cooldowns); a target that cannot count gives an estimate.
    /// `x-nexus-token-count` says which (`exact` or `estimate`), `x-nexus-upstream` where it came from.
    public func countTokens(_ request: Request, context: some RequestContext) async -> Response {
        let requestID = Identifier.make("req_")
        do throws(APIError) {
            try authorize(request)
            let (json, body) = try await readJSON(request)
            let client = try ClientRequest(
                body: body, json: json, betas: betas(request.headers),
                anthropicVersion: request.headers[HTTPField.Name("anthropic-version")!])
            client.requireMaxTokens = false
            let route = try routes.route(for: client.model)
            let isAvailable = { (index: Int) in
                route.targets.count == 1 || route.targets[index].health.allows(now: .now)
            }
            var machine = ExchangeStateMachine(
                targetCount: route.targets.count, limits: limits, now: .now, isAvailable: isAvailable)
            while true {
                let index = machine.target
                let target = route.targets[index]
                do throws(APIError) {
                    _ = client.useThinking(for: index, of: route, ledger: signatures, refusedAll: false)
                    if target.provider.needsResolvedMedia {
                        var parsed = try client.takeParsed()
                        try await media.resolve(&parsed)
                        client.setParsed(parsed)
                    }
                    let count = try await target.provider.countTokens(
                        client, model: target.model, pool: self.client.upstream,
                        deadline: deadline(min(.seconds(30), machine.attemptTimeout(now: .now))))
                    target.health.answered()
                    if let reason = count.unsupportedReason {
                        logger.notice(
                            "the upstream does not count tokens for this model; estimating from now on",
                            metadata: [
                                "model": .string(target.model.id), "upstream": .string(target.upstream),
                                "reason": .string(reason),
                            ])
                    }
                    var headers = HTTPFields()
                    headers[.tokenCountSource] = count.exact ? "exact" : "estimate"
                    headers[HTTPField.Name("x-nexus-upstream")!] = target.upstream
                    return jsonResponse(
                        ["input_tokens": .int(count.inputTokens)], requestID: requestID, extraHeaders: headers)
                } catch {
                    if ExchangeStateMachine.classify(error) != .terminal { target.health.failed(error, now: .now) }
                    switch machine.attemptFailed(error, now: .now, random: .random(in: 0...1), isAvailable: isAvailable)
                    {
                    case .send:
                        continue
                    case .wait(let wait, _):
                        try? await Task.sleep(for: wait)
                        _ = machine.waited()
                    case .fail(let error):
                        throw error
                    case .none:
                        throw error
                    }
                }
            }
        } catch {
            return error.response(requestID: requestID)
        }
    }

    /// Anthropic-style ids under which each model is listed (`claude-sonnet-4-6`), besides its
    /// Nexus id.
    func modelEntries() -> [(id: String, profile: ModelProfile)] {
        var entries: [(String, ModelProfile)] = []
        for p in configuration.catalog.profiles {
            entries.append((p.nexusID.replacingOccurrences(of: ".", with: "-"), p))
            if !p.nexusID.contains("-") || p.nexusID.contains(".") { entries.append((p.nexusID, p)) }
        }
        for (alias, target) in configuration.catalog.overrides.sorted(by: { $0.key < $1.key }) {
            if let p = configuration.catalog.profile(nexusID: target), !entries.contains(where: { $0.0 == alias }) {
                entries.append((alias, p))
            }
        }
        return entries
    }

    static func modelObject(id: String, profile: ModelProfile) -> JSONValue {
        [
            "type": "model", "id": .string(id), "display_name": .string(profile.displayName),
            "created_at": "2026-01-01T00:00:00Z",
        ]
    }

    /// `GET /v1/models`.
    public func listModels(_ request: Request, context: some RequestContext) -> Response {
        let requestID = Identifier.make("req_")
        do throws(APIError) {
            try authorize(request)
        } catch {
            return error.response(requestID: requestID)
        }
        let data = modelEntries().map { Self.modelObject(id: $0.id, profile: $0.profile) }
        let body: JSONValue = [
            "data": .array(data), "has_more": false,
            "first_id": data.first?["id"] ?? .null, "last_id": data.last?["id"] ?? .null,
        ]
        return jsonResponse(body, requestID: requestID)
    }

    /// `GET /v1/models/{id}`: any name the model map resolves.
    public func getModel(_ request: Request, context: some RequestContext, id: String) -> Response {
        let requestID = Identifier.make("req_")
        do throws(APIError) {
            try authorize(request)
            let profile = try configuration.catalog.resolve(id)
            return jsonResponse(Self.modelObject(id: id, profile: profile), requestID: requestID)
        } catch {
            return error.response(requestID: requestID)
        }
    }
}
