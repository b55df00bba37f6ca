import AnthropicAPI
import BedrockAPI
import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON
import Translation

/// The gateway's version, shown by `--version` and `/health`.
public let gatewayVersion = "0.1.0"

extension Gateway {
    /// `GET /` and `GET /health`: liveness and what the gateway points at; never a key.
    public func health(_ request: Request, context: some RequestContext) -> Response {
        let status: JSONValue = [
            "status": "ok", "service": "nexus-claude-api", "version": .string(gatewayVersion),
            "endpoint": .string(client.endpoint.host), "simulated": .bool(configuration.simulated),
            "key_configured": .bool(configuration.nexusKey != nil), "auth_required": .bool(configuration.proxyKey != nil),
            "models": .array(configuration.catalog.profiles.map { .string($0.nexusID) }),
        ]
        return jsonResponse(status, requestID: Identifier.make("req_"))
    }

    /// `POST /v1/messages/count_tokens`: Bedrock CountTokens when AI Nexus offers it, else an
    /// estimate. The `x-nexus-token-count` header says which (`exact` or `estimate`).
    public func countTokens(_ request: Request, context: some RequestContext) async -> Response {
        let requestID = Identifier.make("req_")
        do throws(APIError) {
            try authorize(request)
            let (json, clientBytes) = try await readJSON(request)
            var parsed = try MessagesRequest(json: json, requireMaxTokens: false)
            let profile = try configuration.catalog.resolve(parsed.model)
            try await media.resolve(&parsed)
            if parsed.maxTokens == nil { parsed.maxTokens = profile.maxOutputTokens }
            let translated = try translator.translate(parsed, profile: profile, betas: betas(request.headers))
            var headers = HTTPFields()
            if !noCountTokens.contains(profile.nexusID) {
                var buffer = ByteBuffer()
                buffer.writeJSON(estimatedByteCount: Self.estimatedTranslation(of: clientBytes)) {
                    translated.converse.writeCountTokens(to: &$0)
                }
                let response = try await client.send(
                    .countTokens, modelID: profile.nexusID, body: buffer, deadline: deadline(.seconds(30)))
                let body: ByteBuffer?
                do { body = try await response.body.collect(upTo: 1024 * 1024) } catch { throw client.mapTransportError(error) }
                if response.status == .ok, let body, let n = (try? JSONValue.parse(body))?["inputTokens"]?.intValue {
                    headers[.tokenCountSource] = "exact"
                    return jsonResponse(["input_tokens": .int(n)], requestID: requestID, extraHeaders: headers)
                }
                let (bedrock, error) = NexusClient.upstreamError(response, body: body)
                let unsupported =
                    [403, 404].contains(bedrock.status)
                    || (bedrock.status == 400 && bedrock.message.lowercased().contains("count"))
                guard unsupported else { throw error }
                noCountTokens.insert(profile.nexusID)
                logger.notice(
                    "AI Nexus does not count tokens for this model; estimating from now on",
                    metadata: ["model": .string(profile.nexusID), "upstream": .string(bedrock.description)])
            }
            headers[.tokenCountSource] = "estimate"
            return jsonResponse(
                ["input_tokens": .int(TokenEstimator.estimate(translated.converse))], requestID: requestID, extraHeaders: headers)
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
        ["type": "model", "id": .string(id), "display_name": .string(profile.displayName), "created_at": "2026-01-01T00:00:00Z"]
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

import Foundation
