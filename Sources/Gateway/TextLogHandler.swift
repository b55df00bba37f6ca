import Foundation
import Logging
import Synchronization

/// Logs human-readable lines to standard error, in swift-log's `StreamLogHandler` format
/// (`<time> <level> <label>: k=v … [<source>] <message>`, keys sorted), at a fraction of its
/// cost: the timestamp is formatted once per second, and each line is one `write(2)` (whole
/// lines, never interleaved, nothing buffered at exit).
public struct TextLogHandler: GatewayLogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public func log(event: LogEvent) {
        var line = Self.timestamp()
        line.reserveCapacity(256)
        line += " \(event.level.rawValue) \(label):"
        for (key, value) in sortedMetadata(event) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        var bytes = line.utf8.count
        line.withUTF8 { buffer in
            var offset = 0
            while bytes > 0 {
                let written = write(2, buffer.baseAddress! + offset, bytes)
                if written <= 0 {
                    if written < 0, errno == EINTR { continue }
                    return
                }
                offset += written
                bytes -= written
            }
        }
    }

    private static let clock = Mutex<(second: Int, text: String)>((-1, ""))

    /// Local time to the second, as `2026-11-22T05:33:08+0000`.
    static func timestamp() -> String {
        var now = time(nil)
        if let cached = clock.withLock({ $0.second == now ? $0.text : nil }) { return cached }
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let text = String(cString: buffer)
        clock.withLock { $0 = (now, text) }
        return text
    }
}

/// What the gateway's log handlers share: metadata set on the logger, merged with each event's.
public protocol GatewayLogHandler: LogHandler {}

extension GatewayLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The logger's metadata and the event's (the event's wins), sorted by key.
    func sortedMetadata(_ event: LogEvent) -> [(key: String, value: Logger.Metadata.Value)] {
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        return merged.sorted { $0.key < $1.key }
    }
}
