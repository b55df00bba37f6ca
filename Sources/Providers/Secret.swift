/// A credential. It prints as `<redacted>` everywhere (string interpolation, `dump`, logs), so a
/// key can travel through configuration and errors without ever appearing in output.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The raw value. Read it only where it is put on the wire or compared.
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// A masked form for `config` output: the length and last 4 characters for keys long enough
    /// that this reveals nothing useful.
    public var masked: String {
        value.count >= 20 ? "****\(value.suffix(4)) (\(value.count) chars)" : "**** (\(value.count) chars)"
    }

    /// Compares with a presented key in time independent of where they differ.
    public func matches(_ presented: String) -> Bool {
        let a = Array(value.utf8)
        let b = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0xFF
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
