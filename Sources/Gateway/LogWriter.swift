import Foundation

/// Writes log lines to standard error from a thread of its own.
///
/// Why: a line written with `write(2)` on an event loop costs a system call per request (about
/// 2 % of a small request's CPU), and a terminal or pipe that reads slowly would stall the loop
/// and every connection on it. Here `append` copies the line under a lock and returns; the
/// writer thread writes what gathered in one `write(2)`, then waits a millisecond so that lines
/// written meanwhile go out together.
///
/// Guarantees: lines are written whole and in order. `flush()` writes what waits, and runs at
/// exit (`atexit`; it gives up after two seconds if the writer thread is stuck in a write), so a
/// command that logs and exits loses nothing. If standard error does not keep up, at most
/// `limit` bytes wait; lines beyond are dropped and counted, and a line says how many once it
/// catches up. A crash can lose the last millisecond of lines.
public final class LogWriter: @unchecked Sendable {
    /// The process's standard error; its thread starts with the first line.
    public static let standardError = LogWriter(fileDescriptor: 2)

    /// Bytes that may wait before lines are dropped.
    let limit: Int
    private let fileDescriptor: Int32
    /// Guards `pending`, `dropped` and `started`; signalled when `pending` fills.
    private let condition = NSCondition()
    /// Held while a batch is taken and written: batches go out in the order they were taken.
    private let writing = NSLock()
    private var pending: [UInt8] = []
    private var spare: [UInt8] = []
    private var dropped = 0
    private var started = false

    init(fileDescriptor: Int32, limit: Int = 4 * 1024 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.limit = limit
    }

    /// Queues one line (with its line break) for writing.
    func append(_ line: UnsafeBufferPointer<UInt8>) {
        condition.lock()
        if !started { start() }
        if pending.count + line.count > limit {
            dropped += 1
        } else {
            let wasEmpty = pending.isEmpty
            pending.append(contentsOf: line)
            if wasEmpty { condition.signal() }
        }
        condition.unlock()
    }

    /// Writes every line queued so far before it returns.
    public func flush() {
        writing.lock()
        defer { writing.unlock() }
        writeBatch()
    }

    /// `flush()` at exit: gives up after two seconds if a write is stuck (standard error full,
    /// its reader gone), rather than keep the process from exiting.
    private func flushAtExit() {
        guard writing.lock(before: Date(timeIntervalSinceNow: 2)) else { return }
        defer { writing.unlock() }
        writeBatch()
    }

    /// With `condition` held.
    private func start() {
        started = true
        if self === LogWriter.standardError { atexit { LogWriter.standardError.flushAtExit() } }
        let thread = Thread { [self] in run() }
        thread.name = "nexus-log-writer"
        thread.start()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            condition.unlock()
            flush()
            // Lines written in the next millisecond go out together.
            usleep(1000)
        }
    }

    /// Takes what waits and writes it. With `writing` held.
    private func writeBatch() {
        condition.lock()
        var batch: [UInt8] = []
        swap(&batch, &pending)
        swap(&pending, &spare)  // the buffer written last time, empty, with its capacity
        let lost = dropped
        dropped = 0
        condition.unlock()
        guard !batch.isEmpty || lost > 0 else { return }
        if lost > 0 {
            batch += "nexus-claude-api: \(lost) log lines dropped: standard error did not keep up\n".utf8
        }
        batch.withUnsafeBufferPointer { Self.write($0, to: fileDescriptor) }
        batch.removeAll(keepingCapacity: batch.capacity <= 256 * 1024)
        condition.lock()
        spare = batch
        condition.unlock()
    }

    private static func write(_ buffer: UnsafeBufferPointer<UInt8>, to fileDescriptor: Int32) {
        var offset = 0
        while offset < buffer.count {
            let written = Foundation.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
