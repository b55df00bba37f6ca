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
/// Lines go to `LogWriter.standardError`, which writes them whole and in order from a thread of
/// its own (an event loop never waits on standard error), and flushes them at exit.
///
/// Besides `Logger`, the gateway writes its per-request line straight through `emit` (see
/// `Gateway.log(_:_:)`): the same bytes, without building, merging and sorting a metadata
/// dictionary of boxed values for every request.
public struct LineLogHandler: LogHandler {
    public enum Format: Sendable { case text, json }

    /// One value of a line, as the two formats tell values apart.
    enum Field {
        case text(String)
        case int(Int64)
        case bool(Bool)
        /// Anything else (arrays, dictionaries, other convertibles).
        case other(Logger.Metadata.Value)

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let s): self = .text(s)
            case .stringConvertible(let c):
                if let b = c as? Bool {
                    self = .bool(b)
                } else if let i = c as? any BinaryInteger, let exact = Int64(exactly: i) {
                    self = .int(exact)
                } else {
                    self = .other(value)
                }
            case .array, .dictionary: self = .other(value)
            }
        }

        var metadataValue: Logger.Metadata.Value {
            switch self {
            case .text(let s): .string(s)
            case .int(let i): .stringConvertible(i)
            case .bool(let b): .stringConvertible(b)
            case .other(let v): v
            }
        }
    }

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
        let fields = merged.sorted { $0.key < $1.key }.map { (key: $0.key, value: Field($0.value)) }
        emit(level: event.level, message: event.message.description, source: event.source, fields: fields)
    }

    /// Writes one line; `fields` must be sorted by key and hold this handler's own metadata
    /// (callers that bypass `Logger` check that it has none).
    func emit(level: Logger.Level, message: String, source: String, fields: [(key: String, value: Field)]) {
        emit(level: level, message: message, source: source) { field in
            for (key, value) in fields { field(key, value) }
        }
    }

    /// Writes one line whose fields `forEachField` passes, sorted by key, to the closure it is
    /// given: no array of fields is built (the per-request line, see `RequestLine`).
    ///
    /// Text is appended as bytes in bulk, and numbers without a `String`: the per-request line
    /// costs no generic `append(contentsOf:)` of string views.
    func emit(
        level: Logger.Level, message: String, source: String,
        forEachField: ((_ key: String, _ value: Field) -> Void) -> Void
    ) {
        var line: [UInt8] = []
        line.reserveCapacity(512)
        switch format {
        case .text:
            Self.append(Self.timestamp(), to: &line)
            line.append(UInt8(ascii: " "))
            Self.append(level.rawValue, to: &line)
            line.append(UInt8(ascii: " "))
            Self.append(label, to: &line)
            line.append(UInt8(ascii: ":"))
            forEachField { key, value in
                line.append(UInt8(ascii: " "))
                Self.append(key, to: &line)
                line.append(UInt8(ascii: "="))
                switch value {
                case .text(let s): Self.append(s, to: &line)
                case .int(let i): Self.appendDecimal(i, to: &line)
                case .bool(let b): Self.append(b ? "true" : "false", to: &line)
                case .other(let v): Self.append(v.description, to: &line)
                }
            }
            Self.append(" [", to: &line)
            Self.append(source, to: &line)
            Self.append("] ", to: &line)
            Self.append(message, to: &line)
        case .json:
            let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            line += #"{"ts":"#.utf8
            JSONValue.string(time).write(into: &line)
            line += #","level":"#.utf8
            JSONValue.string(level.rawValue).write(into: &line)
            line += #","label":"#.utf8
            JSONValue.string(label).write(into: &line)
            line += #","msg":"#.utf8
            JSONValue.string(message).write(into: &line)
            forEachField { key, value in
                line.append(UInt8(ascii: ","))
                JSONValue.string(key).write(into: &line)
                line.append(UInt8(ascii: ":"))
                switch value {
                case .text(let s): JSONValue.string(s).write(into: &line)
                case .int(let i): Self.appendDecimal(i, to: &line)
                case .bool(let b): line += (b ? "true" : "false").utf8
                case .other(let v): Self.json(v).write(into: &line)
                }
            }
            line.append(UInt8(ascii: "}"))
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBufferPointer { LogWriter.standardError.append($0) }
    }

    /// Appends `text`'s UTF-8 in one copy (native strings are contiguous).
    @inline(__always)
    static func append(_ text: String, to line: inout [UInt8]) {
        if text.utf8.withContiguousStorageIfAvailable({ line.append(contentsOf: $0) }) == nil {
            line.append(contentsOf: Array(text.utf8))
        }
    }

    /// Appends `value` in decimal without going through a `String`: digits are made right to
    /// left in a 20-byte scratch on the stack, then copied once.
    static func appendDecimal(_ value: Int64, to line: inout [UInt8]) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            line.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static let clock = PerSecondText(format: "%Y-%m-%dT%H:%M:%S%z", utc: false)

    /// Local time to the second, as `2026-11-22T05:33:08+0000`.
    static func timestamp() -> String { clock.now() }

    /// A metadata value as JSON: integers and booleans as such (as `Field` tells them apart),
    /// arrays and dictionaries as such, the rest as strings.
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch Field(value) {
        case .text(let s): return .string(s)
        case .int(let i): return .int(Int(i))
        case .bool(let b): return .bool(b)
        case .other:
            switch value {
            case .array(let a): return .array(a.map(json))
            case .dictionary(let d):
                return .object(JSONObject(d.sorted { $0.key < $1.key }.map { (key: $0.key, value: json($0.value)) }))
            case .string(let s): return .string(s)
            case .stringConvertible(let c):
                // An integer beyond Int64 keeps its digits.
                return c is any BinaryInteger ? .number(c.description) : .string(c.description)
            }
        }
    }
}
