import AWSEventStream
import Foundation
import NIOCore
import Testing

/// Writes frames produced by the Swift encoder for botocore to check (tests/python/eventstream/
/// check_botocore_decodes.py). Only runs when `EVENTSTREAM_DUMP_DIR` is set.
@Suite("Interop dump for botocore")
struct InteropDumpTests {
    static let dumpDirectory = ProcessInfo.processInfo.environment["EVENTSTREAM_DUMP_DIR"]

    @Test("swiftEncoderDump", .enabled(if: dumpDirectory != nil, "set EVENTSTREAM_DUMP_DIR to write the dump"))
    func swiftEncoderDump() throws {
        let directory = try #require(Self.dumpDirectory)
        var rng = SeededGenerator(seed: 2024)
        var messages = sampleStreamMessages.filter { message in
            // botocore's dictionary of headers cannot represent duplicates; none of these have any.
            Set(message.headers.map(\.name)).count == message.headers.count
        }
        messages.append(EventStreamMessage(headers: everyHeaderType, payload: ByteBuffer(bytes: rng.bytes(count: 100_000))))
        messages.append(
            EventStreamMessage(headers: [
                EventStreamHeader(name: String(repeating: "k", count: 255), value: .string(String(repeating: "\u{1F600}", count: 16383))),
                EventStreamHeader(name: "big-bytes", value: .bytes(rng.bytes(count: 60000))),  // together < 128 KiB
            ])
        )
        for _ in 0..<300 {
            messages.append(rng.message(maxHeaders: 10, maxPayload: 2000))
        }

        var frames = ByteBuffer()
        for message in messages {
            try EventStreamEncoder.encode(message, into: &frames)
        }
        let manifest = "{\"messages\": [\n" + messages.map(manifestEntry).joined(separator: ",\n") + "\n]}\n"

        let url = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(frames.readableArray).write(to: url.appendingPathComponent("frames.bin"))
        try Data(manifest.utf8).write(to: url.appendingPathComponent("manifest.json"))
    }
}

private func jsonString(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

private func manifestEntry(_ message: EventStreamMessage) -> String {
    let headers = message.headers.map { header -> String in
        let value: String
        switch header.value {
        case .bool(let v): value = v ? "true" : "false"
        case .int8(let v): value = "\(v)"
        case .int16(let v): value = "\(v)"
        case .int32(let v): value = "\(v)"
        case .int64(let v): value = "\(v)"
        case .timestamp(let v): value = "\(v)"
        case .bytes(let v): value = jsonString(hexString(v))
        case .uuid(let v): value = jsonString(hexString(v.bytes))
        case .string(let v): value = jsonString(v)
        }
        return "{\"name\": \(jsonString(header.name)), \"type\": \(header.value.typeCode), \"value\": \(value)}"
    }
    return "{\"headers\": [\(headers.joined(separator: ", "))], \"payload\": \(jsonString(hexString(message.payload.readableBytesView)))}"
}
