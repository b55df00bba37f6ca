/// CRC-32 as used by `application/vnd.amazon.eventstream` framing.
///
/// This is the standard IEEE 802.3 / zlib CRC-32 (reflected polynomial `0xEDB88320`, initial value and final XOR
/// `0xFFFFFFFF`): the checksum of the ASCII bytes of `"123456789"` is `0xCBF43926`, and results match Python's
/// `zlib.crc32`.
///
/// The implementation is table-driven "slicing-by-8": it consumes eight bytes per step using eight 256-entry
/// tables that are computed once, on first use.
public enum EventStreamCRC32 {
    /// The 8 × 256 lookup tables, laid out contiguously (`table[k * 256 + i]`).
    ///
    /// `table[0 * 256 + i]` is the classic byte-at-a-time table; `table[k * 256 + i]` is the CRC contribution of
    /// byte `i` followed by `k` zero bytes.
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt32(i)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
            table[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = table[(k - 1) * 256 + i]
                table[k * 256 + i] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// Returns the CRC-32 of `bytes`.
    ///
    /// - Parameter bytes: The bytes to checksum.
    /// - Returns: The CRC-32 of `bytes` (`0` for an empty buffer).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, with: bytes)
    }

    /// Returns the CRC-32 of a byte collection (convenience for tests and small inputs).
    ///
    /// - Parameter bytes: The bytes to checksum.
    /// - Returns: The CRC-32 of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(0, with: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { update(0, with: $0) }
    }

    /// Continues a CRC-32 computation.
    ///
    /// `update(checksum(a), with: b)` equals the checksum of the concatenation `a + b`, exactly like
    /// `zlib.crc32(b, crc32(a))`. Start with `0`.
    ///
    /// - Parameters:
    ///   - crc: The CRC-32 of everything before `bytes` (`0` at the start).
    ///   - bytes: The next bytes.
    /// - Returns: The CRC-32 of everything up to and including `bytes`.
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let start = bytes.baseAddress, bytes.count > 0 else {
            return crc
        }
        let count = bytes.count
        return self.table.withUnsafeBufferPointer { table -> UInt32 in
            // `table.count == 2048` and every index below is `k * 256 + (x & 0xFF)` with k < 8,
            // so unchecked access through the pointer is in bounds.
            guard let t = table.baseAddress else { return crc }
            // Locals of the closure (not captured variables), so that they can live in registers.
            var pointer = start
            var remaining = count
            var c = ~crc
            while remaining >= 8 {
                let low = c ^ UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self))
                let high = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                c = t[7 * 256 + Int(low & 0xFF)]
                    ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)]
                    ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)]
                    ^ t[0 * 256 + Int(high >> 24)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                c = t[Int((c ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                pointer += 1
                remaining -= 1
            }
            return ~c
        }
    }
}
