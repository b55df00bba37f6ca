import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The current time as text, formatted with `strftime` at most once per second and shared by
/// every thread: log line timestamps and the `date` header cost a lock, not a formatting.
final class PerSecondText: Sendable {
    private let format: String
    private let utc: Bool
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    init(format: String, utc: Bool) {
        self.format = format
        self.utc = utc
    }

    /// `date` header values (RFC 9110's IMF-fixdate: `Sun, 22 Nov 2026 09:25:00 GMT`).
    static let httpDate = PerSecondText(format: "%a, %d %b %Y %H:%M:%S GMT", utc: true)

    func now() -> String {
        var now = time(nil)
        if let cached = cache.withLock({ $0.second == now ? $0.text : nil }) { return cached }
        var fields = tm()
        if utc { gmtime_r(&now, &fields) } else { localtime_r(&now, &fields) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress!, $0.count, format, &fields) }
        }
        let text = String(decoding: buffer[..<length], as: UTF8.self)
        cache.withLock { $0 = (now, text) }
        return text
    }
}
