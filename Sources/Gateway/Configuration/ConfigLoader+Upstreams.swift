import UpstreamHTTP

/// `[[upstreams]]` and `[[routes]]`: where requests can go, and which model goes where.
extension ConfigLoader {
    /// Reads `[[upstreams]]`: `name`, `kind`, `endpoint` (required), `auth`, `key_env`, and the
    /// capability table of an upstream whose body passes through: `drop_fields`, `drop_betas`.
    ///
    /// A key never sits in the file: `key_env` names the environment variable holding it, read
    /// here (trimmed) so a missing or unusable key stops the start naming the file, line and key.
    /// With `simulate` a missing key is allowed: the simulator takes any key.
    static func upstreams(
        _ r: Reader, environment: [String: String], simulate: Bool
    ) throws(ConfigError) -> [UpstreamSpec] {
        var specs: [UpstreamSpec] = []
        var nameLines: [String: Int] = [:]
        for entry in try r.tables() {
            var name: String?
            var kind: ProviderKind?
            var endpoint: String?
            var auth: UpstreamAuth?
            var keyEnv: (name: String, reader: Reader)?
            var dropFields: [String] = []
            var dropBetas: [String] = []
            for field in entry.children() {
                switch field.name {
                case "name":
                    let v = try field.string()
                    guard !v.isEmpty, v.utf8.allSatisfy(isNameByte) else {
                        throw field.error("'\(v)' is not a valid upstream name (letters, digits, '-' and '_')")
                    }
                    if let first = nameLines[v] {
                        throw field.error("the upstream name '\(v)' is used twice (first on line \(first))")
                    }
                    nameLines[v] = r.file.line(of: field.path) ?? 0
                    name = v
                case "kind":
                    let v = try field.string()
                    guard let k = ProviderKind(rawValue: v) else {
                        throw field.error(
                            "unknown kind '\(v)' (\(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    kind = k
                case "endpoint":
                    let v = try field.string()
                    guard !v.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }), HTTP1Target.parse(url: v) != nil else {
                        throw field.error(
                            "'\(v)' is not an http:// or https:// URL without spaces or control characters")
                    }
                    endpoint = v
                case "auth":
                    let v = try field.string()
                    guard let a = UpstreamAuth(rawValue: v) else {
                        throw field.error(
                            "unknown auth '\(v)' (\(UpstreamAuth.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    auth = a
                case "key_env":
                    let v = try field.string()
                    guard !v.isEmpty, !v.contains("="), !v.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                        throw field.error("'\(v)' is not the name of an environment variable")
                    }
                    keyEnv = (v, field)
                case "drop_fields":
                    dropFields = try field.strings()
                    if let protected = dropFields.first(where: { ["model", "messages", "max_tokens"].contains($0) }) {
                        throw field.error("'\(protected)' cannot be dropped: every request needs it")
                    }
                case "drop_betas":
                    dropBetas = try field.strings()
                case "key", "api_key":
                    throw field.error(
                        "a key does not belong in the configuration file: put it in an environment variable and name that with key_env"
                    )
                default:
                    throw field.error("unknown key")
                }
            }
            guard let name else { throw entry.missing("name", "missing: every [[upstreams]] needs a name") }
            guard let kind else {
                throw entry.missing(
                    "kind",
                    "missing: upstream '\(name)' needs a kind (\(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard let endpoint else {
                throw entry.missing("endpoint", "missing: upstream '\(name)' needs an endpoint URL")
            }
            var key: Secret?
            if let keyEnv {
                // Trimmed: a key file saved with CRLF would otherwise put a carriage return into
                // every request's header.
                if let v = environment[keyEnv.name]?.trimmingWhitespace, !v.isEmpty {
                    guard !v.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                        throw keyEnv.reader.error(
                            "upstream '\(name)': the key in \(keyEnv.name) contains a control character (a line break, say), which no HTTP header may carry"
                        )
                    }
                    key = Secret(v)
                } else if !simulate {
                    throw keyEnv.reader.error(
                        "upstream '\(name)': the environment variable \(keyEnv.name) is not set or empty (it holds the upstream's key)"
                    )
                }
            }
            if simulate, key == nil { key = Secret("simulator-key") }
            var spec = UpstreamSpec(
                name: name, kind: kind, endpoint: endpoint, auth: auth, keyEnv: keyEnv?.name, key: key)
            spec.dropFields = Set(dropFields)
            spec.dropBetas = Set(dropBetas)
            specs.append(spec)
        }
        return specs
    }

    /// Reads `[[routes]]`: `model` (a name or a `*` glob) and `targets` (`"upstream:model"` or
    /// `"upstream"`, each naming one of `upstreams`).
    static func routes(_ r: Reader, upstreams: [String]) throws(ConfigError) -> [RouteSpec] {
        var specs: [RouteSpec] = []
        for entry in try r.tables() {
            var model: String?
            var targets: [TargetSpec]?
            for field in entry.children() {
                switch field.name {
                case "model":
                    let v = try field.string()
                    guard !v.isEmpty else {
                        throw field.error("expected a model name or a glob with '*', found an empty string")
                    }
                    model = v
                case "targets":
                    guard case .array(let items) = field.value, !items.isEmpty else {
                        throw field.error("expected a non-empty array of \"upstream:model\" or \"upstream\" strings")
                    }
                    var parsed: [TargetSpec] = []
                    for (i, item) in items.enumerated() {
                        let t = Reader(file: field.file, path: field.path.appending(index: i), value: item)
                        let text = try t.string()
                        guard let target = TargetSpec(parsing: text) else {
                            throw t.error("'\(text)' is not \"upstream:model\" or \"upstream\"")
                        }
                        guard upstreams.contains(target.upstream) else {
                            throw t.error(
                                "target '\(text)' names no defined upstream '\(target.upstream)' (defined: \(upstreams.joined(separator: ", ")))"
                            )
                        }
                        parsed.append(target)
                    }
                    targets = parsed
                default:
                    throw field.error("unknown key")
                }
            }
            guard let model else {
                throw entry.missing("model", "missing: every [[routes]] needs a model (a name or a glob with '*')")
            }
            guard let targets else { throw entry.missing("targets", "missing: route '\(model)' needs targets") }
            specs.append(RouteSpec(model: model, targets: targets))
        }
        return specs
    }

    /// Letters, digits, `-` and `_` (ASCII: names appear in targets, logs and metric labels).
    private static func isNameByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }
}
