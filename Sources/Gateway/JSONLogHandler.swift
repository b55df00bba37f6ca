import Foundation
import Logging
import NexusJSON

/// Logs one JSON object per line to standard error (`--log-format json`), for log shippers.
public struct JSONLogHandler: GatewayLogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public func log(event: LogEvent) {
        var o = JSONObject(minimumCapacity: 8)
        o.append("ts", .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))))
        o.append("level", .string(event.level.rawValue))
        o.append("label", .string(label))
        o.append("msg", .string(event.message.description))
        for (key, value) in sortedMetadata(event) { o.append(key, Self.json(value)) }
        var bytes = JSONValue.object(o).jsonBytes
        bytes.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(Data(bytes))
    }

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
        case .dictionary(let d): .object(JSONObject(d.sorted { $0.key < $1.key }.map { (key: $0.key, value: json($0.value)) }))
        }
    }
}
