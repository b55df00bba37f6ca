import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte buffer with cheap appends (one capacity check each), used where bytes come one small
/// piece at a time: the parser decodes escaped strings into one, the serializer writes JSON text
/// into one.
///
/// It starts either empty, or on a window of someone else's memory (`init(window:)`), such as a
/// `ByteBuffer`'s writable bytes, so that text written there needs no copy. When more is
/// written than the window holds, it moves to memory of its own and carries on (`isInWindow`
/// turns false). Its own memory comes from `malloc`, so that growing is a `realloc`, which moves
/// large blocks without copying them. Noncopyable: it frees its own memory when it goes out of scope.
struct ByteAccumulator: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>?
    private var capacity = 0
    private(set) var count = 0
    /// True while the bytes are in the window given to `init(window:)` (borrowed memory).
    private(set) var isInWindow: Bool

    init() { isInWindow = false }

    /// Writes into `window`, which must stay valid as long as the accumulator writes there.
    init(window: UnsafeMutableRawBufferPointer) {
        storage = window.baseAddress?.assumingMemoryBound(to: UInt8.self)
        capacity = window.count
        isInWindow = true
    }

    deinit { if !isInWindow { free(storage) } }

    /// The bytes written since the last `removeAll()`; valid until the next mutation.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// Bytes that can be appended without growing (or leaving the window).
    var freeCapacity: Int { storage == nil ? 0 : capacity &- count }

    /// Forgets the contents, keeping the memory.
    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
        count &+= 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count length: Int) {
        guard length > 0 else { return }
        reserve(length).copyMemory(from: source, byteCount: length)
        count &+= length
    }

    /// Appends the readable bytes of `buffer` (a literal's or a verbatim object's source text).
    @inline(__always)
    mutating func append(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            if let base = raw.baseAddress { append(base.assumingMemoryBound(to: UInt8.self), count: raw.count) }
        }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Appends a scalar value (never a surrogate, at most U+10FFFF) as UTF-8.
    @inline(__always)
    mutating func appendScalar(_ scalar: UInt32) {
        let out = reserve(4)
        func put(_ offset: Int, _ value: UInt32) {
            out.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: offset, as: UInt8.self)
        }
        switch scalar {
        case 0..<0x80:
            put(0, scalar)
            count &+= 1
        case 0x80..<0x800:
            put(0, 0xC0 | scalar >> 6)
            put(1, 0x80 | scalar & 0x3F)
            count &+= 2
        case 0x800..<0x10000:
            put(0, 0xE0 | scalar >> 12)
            put(1, 0x80 | scalar >> 6 & 0x3F)
            put(2, 0x80 | scalar & 0x3F)
            count &+= 3
        default:
            put(0, 0xF0 | scalar >> 18)
            put(1, 0x80 | scalar >> 12 & 0x3F)
            put(2, 0x80 | scalar >> 6 & 0x3F)
            put(3, 0x80 | scalar & 0x3F)
            count &+= 4
        }
    }

    /// Lets `body` write at most `length` bytes at the end; it returns how many it wrote.
    @inline(__always)
    mutating func append(upTo length: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        let written = body(reserve(length))
        count &+= min(max(written, 0), length)
    }

    /// Space for `length` more bytes at the end (the caller then advances `count`).
    @inline(__always)
    private mutating func reserve(_ length: Int) -> UnsafeMutableRawPointer {
        if let storage, capacity &- count >= length { return UnsafeMutableRawPointer(storage + count) }
        return grow(toFit: length)
    }

    private mutating func grow(toFit length: Int) -> UnsafeMutableRawPointer {
        let newCapacity = max(capacity * 2, count + length, 1024)
        let newStorage: UnsafeMutableRawPointer?
        if isInWindow {
            newStorage = malloc(newCapacity)
            if let newStorage, let storage { newStorage.copyMemory(from: storage, byteCount: count) }
        } else {
            newStorage = realloc(storage, newCapacity)
        }
        guard let newStorage else {
            fatalError("ByteAccumulator: out of memory growing to \(newCapacity) bytes")
        }
        let typed = newStorage.bindMemory(to: UInt8.self, capacity: newCapacity)
        storage = typed
        capacity = newCapacity
        isInWindow = false
        return UnsafeMutableRawPointer(typed + count)
    }
}
