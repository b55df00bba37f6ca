import Foundation
import Translation

extension GatewayConfiguration {
    /// The effective configuration in the configuration file's own format, secrets masked, for
    /// `nexus-claude-api config`.
    public func describe() -> String {
        /// A TOML basic string: quotes, backslashes and control characters escaped.
        func q(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func secs(_ d: Duration) -> String {
            let ms = d.milliseconds
            return ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000)
        }
        var lines: [String] = []
        lines.append(
            "# nexus-claude-api \(gatewayVersion): effective configuration (defaults < file < environment < flags)")
        lines.append("# configuration file: \(configFile ?? "none")")
        lines.append("host = \(q(host))")
        lines.append("port = \(port)")
        lines.append(
            "endpoint = \(q(endpoint))\(simulated ? "  # --simulate: replaced by the built-in simulator" : "")")
        lines.append(
            "nexus_api_key = \(nexusKey.map { q($0.masked) } ?? "\"\"  # not set: NEXUS_API_KEY or AWS_BEARER_TOKEN_BEDROCK")"
        )
        lines.append("api_key = \(proxyKey.map { q($0.masked) } ?? "\"\"  # not set: clients need no key")")
        lines.append("log_level = \(q(logLevel))")
        lines.append("log_format = \(q(logFormat))")
        lines.append("log_bodies = \(logBodies)")
        lines.append("drop_unsupported_tools = \(translation.dropUnsupportedServerTools)")
        lines.append("ca_bundle = \(q(caBundle ?? ""))")
        lines.append("insecure_skip_tls_verify = \(insecureSkipTLSVerify)")
        lines.append("https_proxy = \(q(httpsProxy?.description ?? ""))  # from HTTPS_PROXY / NO_PROXY")
        lines.append("max_body_bytes = \(maxBodyBytes)")
        lines.append("max_concurrent_requests = \(maxConcurrentRequests)")
        lines.append("")
        lines.append("[timeouts]  # seconds")
        lines.append("connect = \(secs(connectTimeout))")
        lines.append("first_byte = \(secs(firstByteTimeout))")
        lines.append("idle = \(secs(idleTimeout))")
        lines.append("total = \(secs(totalTimeout))")
        lines.append("ping_interval = \(secs(pingInterval))")
        lines.append("shutdown_grace = \(secs(shutdownGrace))")
        lines.append("")
        lines.append("[retries]")
        lines.append("max_attempts = \(retry.maxAttempts)")
        lines.append("base_delay = \(secs(retry.baseDelay))")
        lines.append("max_delay = \(secs(retry.maxDelay))")
        lines.append("max_total = \(secs(retry.maxTotal))")
        lines.append("")
        lines.append("[models]  # client model name = AI Nexus id (besides family matching: opus, sonnet, haiku)")
        for (name, id) in catalog.overrides.sorted(by: { $0.key < $1.key }) { lines.append("\(q(name)) = \(q(id))") }
        for p in catalog.profiles {
            lines.append("")
            lines.append("[model.\(q(p.nexusID))]")
            lines.append("family = \(q(p.family))")
            lines.append("display_name = \(q(p.displayName))")
            lines.append("thinking = \(q(p.thinking.rawValue))")
            lines.append("effort = \(p.supportsEffort)")
            lines.append("context_management = \(p.supportsContextManagement)")
            lines.append("thinking_display = \(p.supportsThinkingDisplay)")
            lines.append("context_window = \(p.contextWindow)")
            lines.append("max_output_tokens = \(p.maxOutputTokens)")
            lines.append("betas = [\(p.allowedBetas.sorted().map(q).joined(separator: ", "))]")
        }
        for u in upstreams {
            lines.append("")
            lines.append("[[upstreams]]")
            lines.append("name = \(q(u.name))")
            lines.append("kind = \(q(u.kind.rawValue))")
            lines.append("endpoint = \(q(u.endpoint))")
            lines.append("auth = \(q(u.auth.rawValue))")
            lines.append("key_env = \(q(u.keyEnv ?? ""))")
            lines.append("key = \(u.key.map { "\(q($0.masked))  # masked" } ?? "\"\"  # none")")
            if !u.dropFields.isEmpty {
                lines.append("drop_fields = [\(u.dropFields.sorted().map(q).joined(separator: ", "))]")
            }
            if !u.dropBetas.isEmpty {
                lines.append("drop_betas = [\(u.dropBetas.sorted().map(q).joined(separator: ", "))]")
            }
        }
        for r in routes {
            lines.append("")
            lines.append("[[routes]]")
            lines.append("model = \(q(r.model))")
            lines.append("targets = [\(r.targets.map { q($0.description) }.joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n")
    }
}
