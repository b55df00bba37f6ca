/// Why a JSON text was rejected, and where.
///
/// `description` is short and meant to be shown to API clients as is, for example
/// `Unexpected character '}' at line 3 column 5`.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Zero-based byte offset into the input where the problem was detected.
    public var offset: Int
    /// One-based line number (lines are separated by `\n`).
    public var line: Int
    /// One-based column, counted in Unicode scalars from the start of the line.
    public var column: Int
    /// What went wrong, without the position, for example `Unexpected character '}'`.
    public var reason: String

    public init(offset: Int, line: Int, column: Int, reason: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `"<reason> at line <line> column <column>"`.
    public var description: String { "\(reason) at line \(line) column \(column)" }
}

extension JSONParseError {
    /// Builds an error for `offset` in `input`, computing its line and column (error path only: O(offset)).
    init(reason: String, offset: Int, in input: UnsafeBufferPointer<UInt8>) {
        let offset = min(max(offset, 0), input.count)
        var line = 1
        var column = 1
        for byte in input[..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count scalars, not UTF-8 continuation bytes
                column += 1
            }
        }
        self.init(offset: offset, line: line, column: column, reason: reason)
    }
}
