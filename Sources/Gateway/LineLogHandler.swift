import Foundation
import Logging
import NexusJSON
import Synchronization

/// Logs one line per event to standard error, as text or as JSON (`--log-format`).
///
/// - `text`: swift-log's `StreamLogHandler` format (`<time> <level> <label>: k=v … [<source>]
///   <message>`, keys sorted), with the timestamp formatted once per second.
/// - `json`: one JSON object per line (`ts`, `level`, `label`, `msg`, then the metadata, sorted),
///   for log shippers.
///
/// Each line is one `write(2)`: whole lines, never interleaved, nothing buffered at exit.
public struct LineLogHandler: LogHandler {
    public enum Format: Sendable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged: Logger.Metadata
        if let own = event.metadata {
            merged = metadata.isEmpty ? own : metadata.merging(own) { $1 }
        } else {
            merged = metadata
        }
        let sorted = merged.sorted { $0.key < $1.key }
        switch format {
        case .text:
            // Appended piece by piece: no interpolation buffers (this runs once per request).
            var line = Self.timestamp()
            line.reserveCapacity(512)
            line += " "
            line += event.level.rawValue
            line += " "
            line += label
            line += ":"
            for (key, value) in sorted {
                line += " "
                line += key
                line += "="
                line += value.description
            }
            line += " ["
            line += event.source
            line += "] "
            line += event.message.description
            line += "\n"
            line.withUTF8 { Self.writeToStandardError($0) }
        case .json:
            var o = JSONObject(minimumCapacity: 8 + sorted.count)
            let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            o.append("ts", .string(time))
            o.append("level", .string(event.level.rawValue))
            o.append("label", .string(label))
            o.append("msg", .string(event.message.description))
            for (key, value) in sorted { o.append(key, Self.json(value)) }
            var bytes = JSONValue.object(o).jsonBytes
            bytes.append(UInt8(ascii: "\n"))
            bytes.withUnsafeBufferPointer { Self.writeToStandardError($0) }
        }
    }

    private static func writeToStandardError(_ buffer: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < buffer.count {
            let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    private static let clock = PerSecondText(format: "%Y-%m-%dT%H:%M:%S%z", utc: false)

    /// Local time to the second, as `2026-11-22T05:33:08+0000`.
    static func timestamp() -> String { clock.now() }

    /// A metadata value as JSON: integers and booleans as such, the rest as strings.
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c):
            if let i = c as? any BinaryInteger {
                .number(String(describing: i))
            } else if let b = c as? Bool {
                .bool(b)
            } else {
                .string(c.description)
            }
        case .array(let a): .array(a.map(json))
        case .dictionary(let d):
            .object(JSONObject(d.sorted { $0.key < $1.key }.map { (key: $0.key, value: json($0.value)) }))
        }
    }
}
