import NIOCore

/// Writes JSON text straight into a `ByteBuffer`, member by member: for a type that renders
/// itself on the hot path without building a `JSONValue` tree first (an object and an array
/// per level, and a copy of every string, only to be walked once and dropped).
///
/// Commas are placed by the writer; keys are static ASCII names, written as they are. The
/// caller keeps objects and arrays balanced and gives each object member a key: what comes
/// out is then the same text `JSONValue.write(into:)` gives for the same tree, escapes
/// included.
public struct JSONStreamWriter: ~Copyable {
    var base: JSONWriter
    /// A value was written at this level: the next key or element needs a comma.
    private var needsComma = false

    init(base: consuming JSONWriter) { self.base = base }

    public mutating func beginObject() {
        separate()
        base.output.append(UInt8(ascii: "{"))
    }

    public mutating func endObject() {
        base.output.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        base.output.append(UInt8(ascii: "["))
    }

    public mutating func endArray() {
        base.output.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object member's key. `name` must need no escapes (API field names never do).
    public mutating func key(_ name: StaticString) {
        separate()
        base.output.append(JSONBytes.quote)
        base.output.append(name)
        base.output.append(StaticString("\":"))
    }

    public mutating func string(_ value: String) {
        separate()
        base.writeString(value)
        needsComma = true
    }

    /// A string value; a checked literal goes as it came (see `JSONString`).
    public mutating func string(_ value: JSONString) {
        separate()
        value.write(to: &base)
        needsComma = true
    }

    public mutating func int(_ value: Int) {
        separate()
        base.writeNumber(String(value))
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        base.output.append(value ? "true" : "false")
        needsComma = true
    }

    public mutating func null() {
        separate()
        base.output.append("null")
        needsComma = true
    }

    /// A string, or `null` for nil.
    public mutating func string(orNull value: String?) {
        if let value { string(value) } else { null() }
    }

    /// A whole value (a tool input, say), as `JSONValue.write(into:)` writes it.
    public mutating func value(_ value: JSONValue) {
        separate()
        base.write(value)
        needsComma = true
    }

    /// The comma before a value or key that follows another at the same level. An opening
    /// bracket or a key leaves `needsComma` false, so the first member or element gets none.
    private mutating func separate() {
        if needsComma { base.output.append(UInt8(ascii: ",")) }
        needsComma = false
    }
}

extension ByteBuffer {
    /// Appends the JSON text `body` writes, with room for `estimatedByteCount` bytes made
    /// first (a low estimate costs a copy, never a wrong text).
    ///
    /// The writer works on the buffer's writable bytes, at least `estimatedByteCount` of them,
    /// and what it wrote is appended. NIO rounds a buffer's capacity up to a power of two, which
    /// usually leaves room for escapes; text that outgrows it is written to the writer's own
    /// memory and copied in.
    public mutating func writeJSON(estimatedByteCount: Int, _ body: (inout JSONStreamWriter) -> Void) {
        var spilled: [UInt8] = []
        writeWithUnsafeMutableBytes(minimumWritableBytes: estimatedByteCount) { window in
            var stream = JSONStreamWriter(base: JSONWriter(window: window))
            body(&stream)
            guard stream.base.output.isInWindow else {
                spilled = Array(stream.base.output.bytes)
                return 0
            }
            return stream.base.output.count
        }
        if !spilled.isEmpty { writeBytes(spilled) }
    }
}

extension JSONValue {
    /// The value `body` writes: for a type whose `write(to:)` is its one definition of its
    /// JSON, to offer a `jsonValue` off the hot path too.
    public static func written(_ body: (inout JSONStreamWriter) -> Void) -> JSONValue {
        var buffer = ByteBuffer()
        buffer.writeJSON(estimatedByteCount: 256, body)
        do {
            // What was written nests a few levels around values that were parsed (or built)
            // within the default depth: allow for them.
            return try JSONValue.parse(buffer, maxDepth: JSONValue.defaultMaxDepth + 16)
        } catch {
            assertionFailure("JSONStreamWriter wrote invalid JSON: \(error)")
            return .null
        }
    }
}
