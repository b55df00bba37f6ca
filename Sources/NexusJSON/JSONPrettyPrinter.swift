extension JSONValue {
    /// Human-readable JSON: one member or element per line, `"key": value`, keys in stored order,
    /// empty containers as `[]` and `{}`. Scalars are written exactly as in the compact form.
    /// - Parameter indent: spaces per nesting level (negative counts as 0).
    public func prettyString(indent: Int = 2) -> String {
        var printer = JSONPrettyPrinter(indentWidth: max(0, indent))
        printer.write(self, depth: 0)
        return String(decoding: printer.writer.output.bytes, as: UTF8.self)
    }
}

/// Indented serialization for people (CLI output); not on any hot path.
private struct JSONPrettyPrinter: ~Copyable {
    let indentWidth: Int
    var writer = JSONWriter()

    init(indentWidth: Int) {
        self.indentWidth = indentWidth
    }

    mutating func write(_ value: JSONValue, depth: Int) {
        switch value {
        case .array(let elements) where !elements.isEmpty:
            writer.output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { writer.output.append(UInt8(ascii: ",")) }
                newline(depth: depth + 1)
                write(element, depth: depth + 1)
            }
            newline(depth: depth)
            writer.output.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            writer.output.append(UInt8(ascii: "{"))
            for (position, member) in object.enumerated() {
                if position > 0 { writer.output.append(UInt8(ascii: ",")) }
                newline(depth: depth + 1)
                writer.writeString(member.key)
                writer.output.append(": ")
                write(member.value, depth: depth + 1)
            }
            newline(depth: depth)
            writer.output.append(UInt8(ascii: "}"))
        default:
            // Scalars and empty containers: exactly as in the compact form.
            writer.write(value)
        }
    }

    private mutating func newline(depth: Int) {
        writer.output.append(UInt8(ascii: "\n"))
        for _ in 0..<(depth * indentWidth) { writer.output.append(UInt8(ascii: " ")) }
    }
}
