/// Where upstream requests go: scheme, host and port, plus the base path of the URL they were
/// parsed from. Connections are pooled per target.
public struct HTTP1Target: Hashable, Sendable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int

    public init(tls: Bool, host: String, port: Int) {
        self.tls = tls
        self.host = host
        self.port = port
    }

    /// Parses `http[s]://host[:port][/base/path]`: the target and the base path without its
    /// trailing `/` ("" for none). Nil for another scheme or a malformed authority.
    public static func parse(url: String) -> (target: HTTP1Target, basePath: String)? {
        let lower = url.lowercased()
        let tls: Bool
        let rest: Substring
        if lower.hasPrefix("https://") {
            tls = true
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            tls = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" })
        while path.hasSuffix("/") { path.removeLast() }
        let hostPort = authority.split(separator: "@").last ?? authority[...]
        var host: Substring
        var port = tls ? 443 : 80
        if hostPort.hasPrefix("[") {
            // [v6]:port
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { return nil }
                port = p
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            guard let p = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
            port = p
        } else {
            host = hostPort
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (HTTP1Target(tls: tls, host: String(host), port: port), path)
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// `host:port`, as a `CONNECT` target and in messages.
    public var authority: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var description: String { "\(tls ? "https" : "http")://\(authority)" }

    /// True for an IPv4 or IPv6 literal (no TLS server name is sent for those).
    var isIPAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }
}
