import Foundation
import Testing

@testable import Gateway

@Suite struct LogWriterTests {
    /// Everything readable from `fd` until the end (the write end closed) or until `until` holds.
    private func readAll(_ fd: Int32, until: ((String) -> Bool)? = nil) -> String {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            out += chunk[..<n]
            if let until, until(String(decoding: out, as: UTF8.self)) { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func linesFromManyThreadsArriveWholeAndInOrder() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let writer = LogWriter(fileDescriptor: fds[1])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<1000 {
                Array("t\(thread) \(i)\n".utf8).withUnsafeBufferPointer { writer.append($0) }
            }
        }
        writer.flush()
        close(fds[1])
        let lines = readAll(fds[0]).split(separator: "\n")
        close(fds[0])
        #expect(lines.count == 4000)
        var next = [Int](repeating: 0, count: 4)
        for line in lines {
            let parts = line.split(separator: " ")
            let thread = Int(parts[0].dropFirst())!
            #expect(Int(parts[1]) == next[thread], "line \(line) out of order")
            next[thread] += 1
        }
    }

    @Test func linesBeyondTheLimitAreDroppedAndCounted() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        // Fill the pipe, so that the writer's first write blocks until it is read.
        let flags = fcntl(fds[1], F_GETFL)
        _ = fcntl(fds[1], F_SETFL, flags | O_NONBLOCK)
        let filler = [UInt8](repeating: UInt8(ascii: "."), count: 4096)
        var filled = 0
        while true {
            let n = write(fds[1], filler, filler.count)
            if n <= 0 { break }
            filled += n
        }
        _ = fcntl(fds[1], F_SETFL, flags)
        let writer = LogWriter(fileDescriptor: fds[1], limit: 1000)
        for i in 0..<500 {
            Array("line \(i)\n".utf8).withUnsafeBufferPointer { writer.append($0) }
        }
        // Reading lets the writer go on; each count of lost lines follows the lines kept before it.
        func tally(_ text: String) -> (kept: Int, lost: Int) {
            var kept = 0
            var lost = 0
            for line in text.split(separator: "\n") {
                if line.drop(while: { $0 == "." }).hasPrefix("line ") { kept += 1 }
                if line.contains("log lines dropped") { lost += Int(line.split(separator: " ")[1]) ?? 0 }
            }
            return (kept, lost)
        }
        let text = readAll(fds[0]) { $0.hasSuffix("\n") && tally($0).kept + tally($0).lost == 500 }
        close(fds[0])
        close(fds[1])
        #expect(text.utf8.count > filled)
        let (kept, lost) = tally(text)
        #expect(kept + lost == 500)
        #expect(lost > 0 && kept > 0)
    }
}
