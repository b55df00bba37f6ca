import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import UpstreamHTTP

/// Records the callbacks of one `HTTP1Call`, checking that each runs on `loop`. Touched only on
/// `loop` (the tests read it with `read`), hence `@unchecked Sendable`.
final class CallRecorder: HTTP1ResponseDelegate, @unchecked Sendable {
    struct TimedOut: Error {}

    let loop: any EventLoop
    var call: HTTP1Call?
    /// `head 200`, `body <n>`, `end`, `failed <error>`, in order.
    var events: [String] = []
    var body = ByteBuffer()
    var error: HTTP1ClientError?
    /// Callbacks that ran off `loop`.
    var offLoop = 0
    /// Set by a test when it cancels; any callback after it is counted.
    var cancelled = false
    var callbacksAfterCancel = 0
    var onHead: ((CallRecorder) -> Void)?
    var onBody: ((CallRecorder) -> Void)?
    private let done: EventLoopPromise<Void>
    private var isDone = false

    init(loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.loop = loop
        self.done = loop.makePromise()
    }

    deinit {
        if !isDone { done.fail(TimedOut()) }  // a cancelled call never completes it
    }

    private func note(_ event: String) {
        if !loop.inEventLoop { offLoop += 1 }
        if cancelled { callbacksAfterCancel += 1 }
        events.append(event)
    }

    func upstreamHead(_ head: HTTP1ResponseHead) {
        note("head \(head.status.code)")
        onHead?(self)
    }

    func upstreamBody(_ chunk: ByteBuffer) {
        note("body \(chunk.readableBytes)")
        var chunk = chunk
        body.writeBuffer(&chunk)
        onBody?(self)
    }

    func upstreamEnd() {
        note("end")
        complete(.success(()))
    }

    func upstreamFailed(_ error: HTTP1ClientError) {
        note("failed \(error)")
        self.error = error
        complete(.success(()))
    }

    private func complete(_ result: Result<Void, any Error>) {
        guard !isDone else { return }
        isDone = true
        onHead = nil
        onBody = nil
        done.completeWith(result)
    }

    /// Starts `request` on `loop`; returns how many callbacks ran inside `start` (must be 0).
    /// The default deadline only bounds a test that hangs (see `get`); tests of deadlines pass theirs.
    func start(
        _ pool: HTTP1ConnectionPool, _ request: HTTP1Request, deadline: TimeAmount = .seconds(30)
    ) async throws -> Int {
        try await loop.submit {
            self.call = pool.start(request, on: self.loop, deadline: .now() + deadline, delegate: self)
            return self.events.count
        }.get()
    }

    /// Waits for `upstreamEnd` or `upstreamFailed` (at most `timeout`).
    func finished(timeout: TimeAmount = .seconds(30)) async throws {
        let timer = loop.scheduleTask(in: timeout) { [weak self] in self?.complete(.failure(TimedOut())) }
        defer { timer.cancel() }
        try await done.futureResult.get()
    }

    /// Reads the recorder's state on its loop.
    func read<T: Sendable>(_ body: @escaping @Sendable (CallRecorder) -> T) async throws -> T {
        try await loop.submit { body(self) }.get()
    }
}

extension HTTP1ConnectionPoolTests {
    func request(_ server: ScriptedServer, _ path: String) -> HTTP1Request {
        HTTP1Request(target: server.target, method: .GET, path: path, body: ByteBuffer())
    }

    /// Polls until the pool has `count` open connections (closing is asynchronous).
    func expectOpenConnections(_ pool: HTTP1ConnectionPool, _ count: Int) async throws {
        var open = pool.openConnections
        for _ in 0..<100 where open != count {
            try await Task.sleep(for: .milliseconds(10))
            open = pool.openConnections
        }
        #expect(open == count)
    }

    @Test func aCallDeliversHeadBodyAndEndOnItsLoop() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            #expect(try await recorder.start(pool, request(server, "/ok")) == 0)
            try await recorder.finished()
            let (events, body, offLoop) = try await recorder.read { ($0.events, String(buffer: $0.body), $0.offLoop) }
            #expect(events == ["head 200", "body 5", "end"])
            #expect(body == "hello")
            #expect(offLoop == 0)
        }
    }

    @Test func callsOnOneLoopReuseOneConnection() async throws {
        try await withServerAndPool { server, pool in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            for _ in 0..<5 {
                let recorder = CallRecorder(loop: loop)
                #expect(try await recorder.start(pool, request(server, "/ok")) == 0)
                try await recorder.finished()
                #expect(try await recorder.read { $0.events } == ["head 200", "body 5", "end"])
                #expect(pool.openConnections == 1)
            }
            #expect(server.accepted.load() == 1)
        }
    }

    @Test func aCallUsesNoIdleConnectionOfAnotherLoop() async throws {
        try await withServerAndPool { server, pool in
            let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
            try #require(loops.count >= 2, "needs two event loops")
            for loop in loops.prefix(2) {
                let recorder = CallRecorder(loop: loop)
                _ = try await recorder.start(pool, request(server, "/ok"))
                try await recorder.finished()
                #expect(try await recorder.read { $0.offLoop } == 0)
            }
            #expect(server.accepted.load() == 2)
            #expect(pool.openConnections == 2)
        }
    }

    @Test func aStaleKeptAliveConnectionIsRetriedOnce() async throws {
        try await withServerAndPool { server, pool in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let first = CallRecorder(loop: loop)
            _ = try await first.start(pool, request(server, "/drop-next"))
            try await first.finished()
            // The server drops the next request on that connection: retried on a new one.
            let second = CallRecorder(loop: loop)
            _ = try await second.start(pool, request(server, "/drop-next"))
            try await second.finished()
            #expect(try await second.read { $0.events } == ["head 200", "body 5", "end"])
            #expect(server.accepted.load() == 2)
            // Once only: the retry's connection dropped too is a failure.
            let third = CallRecorder(loop: loop)
            _ = try await third.start(pool, request(server, "/drop"))
            try await third.finished()
            #expect(try await third.read { $0.error } == .connectionClosed)
            #expect(server.accepted.load() == 3)
        }
    }

    @Test func aKeptAliveConnectionResetBeforeAnsweringIsRetried() async throws {
        try await withServerAndPool { server, pool in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            for expectedConnections in 1...2 {
                let call = CallRecorder(loop: loop)
                _ = try await call.start(pool, request(server, "/reset-next"))
                try await call.finished()
                #expect(try await call.read { $0.events } == ["head 200", "body 5", "end"])
                #expect(server.accepted.load() == expectedConnections)
            }
        }
    }

    @Test func aNewConnectionDroppedIsNotRetried() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            _ = try await recorder.start(pool, request(server, "/drop"))
            try await recorder.finished()
            #expect(try await recorder.read { $0.events } == ["failed \(HTTP1ClientError.connectionClosed)"])
            #expect(server.accepted.load() == 1)
        }
    }

    @Test func aCallPastItsDeadlineFailsAndClosesItsConnection() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            let started = ContinuousClock.now
            _ = try await recorder.start(pool, request(server, "/silent"), deadline: .milliseconds(200))
            try await recorder.finished()
            #expect(ContinuousClock.now - started >= .milliseconds(190))
            // Generous: the point is that it fires at all (the machines are shared and noisy).
            #expect(ContinuousClock.now - started < .seconds(10))
            let (events, offLoop) = try await recorder.read { ($0.events, $0.offLoop) }
            #expect(events == ["failed \(HTTP1ClientError.deadlineExceeded)"])
            #expect(offLoop == 0)
            try await expectOpenConnections(pool, 0)
        }
    }

    /// The calls of one loop share one deadline timer (`HTTP1DeadlineWatch`): each still fails
    /// at its own deadline, in deadline order whatever the order they started in, and a call
    /// cancelled first is never failed.
    @Test func callsOnOneLoopFailEachAtItsOwnDeadline() async throws {
        try await withServerAndPool { server, pool in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let late = CallRecorder(loop: loop)
            let first = CallRecorder(loop: loop)
            let cancelled = CallRecorder(loop: loop)
            let second = CallRecorder(loop: loop)
            let started = ContinuousClock.now
            _ = try await late.start(pool, request(server, "/silent"), deadline: .milliseconds(1500))
            _ = try await second.start(pool, request(server, "/silent"), deadline: .milliseconds(600))
            _ = try await first.start(pool, request(server, "/silent"), deadline: .milliseconds(300))
            // Started and cancelled in one turn of the loop: its deadline (the earliest) cannot pass between.
            let silent = request(server, "/silent")
            try await loop.submit {
                cancelled.call = pool.start(
                    silent, on: loop, deadline: .now() + .milliseconds(100), delegate: cancelled)
                cancelled.cancelled = true
                cancelled.call?.cancel()
            }.get()
            for (recorder, deadline) in [(first, 300), (second, 600), (late, 1500)] {
                try await recorder.finished(timeout: .seconds(10))
                #expect(ContinuousClock.now - started >= .milliseconds(deadline - 10))
                #expect(try await recorder.read { $0.events } == ["failed \(HTTP1ClientError.deadlineExceeded)"])
                if recorder === first {
                    // Not held to the timer armed for the call that started first, nor failed
                    // with it: `late` has not failed yet, unless its own deadline has passed too
                    // (a loaded machine can get here late).
                    let lateEvents = try await late.read { $0.events }
                    let elapsed = ContinuousClock.now - started
                    #expect(lateEvents == [] || elapsed >= .milliseconds(1490))
                }
            }
            #expect(try await cancelled.read { $0.events } == [])
            let watched = try await loop.submit { pool.deadlineWatch(on: loop).count }.get()
            #expect(watched == 0)
        }
    }

    @Test func aClearedDeadlineDoesNotFire() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            recorder.onHead = { $0.call?.clearDeadline() }
            // The head comes at once; the body would outlast a deadline that was not cleared.
            recorder.onBody = { recorder in
                recorder.onBody = nil
                recorder.call?.pauseReading()
                recorder.loop.scheduleTask(in: .milliseconds(150)) { recorder.call?.resumeReading() }
            }
            _ = try await recorder.start(pool, request(server, "/big"), deadline: .milliseconds(100))
            try await recorder.finished()
            let (events, bytes) = try await recorder.read { ($0.events, $0.body.readableBytes) }
            #expect(events.last == "end")
            #expect(bytes == 64 * 16384)
        }
    }

    @Test func cancellingMidBodyClosesTheConnectionAndSilencesTheCall() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            recorder.onBody = { recorder in
                recorder.cancelled = true
                recorder.call?.cancel()
                recorder.call?.cancel()  // idempotent
            }
            _ = try await recorder.start(pool, request(server, "/big"))
            try await expectOpenConnections(pool, 0)
            try await Task.sleep(for: .milliseconds(50))
            let (cancelled, after, events) = try await recorder.read {
                ($0.cancelled, $0.callbacksAfterCancel, $0.events)
            }
            #expect(cancelled)
            #expect(after == 0)
            #expect(events.last?.hasPrefix("body") == true)
            // The pool carries on with a new connection.
            let next = CallRecorder()
            _ = try await next.start(pool, request(server, "/ok"))
            try await next.finished()
            #expect(try await next.read { $0.events.last } == "end")
            #expect(server.accepted.load() == 2)
        }
    }

    @Test func pausedReadsHoldTheBodyUntilResumed() async throws {
        try await withServerAndPool { server, pool in
            let recorder = CallRecorder()
            recorder.onHead = { $0.call?.pauseReading() }
            _ = try await recorder.start(pool, request(server, "/big"))
            try await Task.sleep(for: .milliseconds(300))
            let (held, events) = try await recorder.read { ($0.body.readableBytes, $0.events) }
            #expect(held < 64 * 16384)
            #expect(events.last != "end")
            try await recorder.read { $0.call?.resumeReading() }
            try await recorder.finished()
            let (bytes, last) = try await recorder.read { ($0.body.readableBytes, $0.events.last) }
            #expect(bytes == 64 * 16384)
            #expect(last == "end")
            // The connection went back to the pool whole.
            let next = CallRecorder(loop: recorder.loop)
            _ = try await next.start(pool, request(server, "/ok"))
            try await next.finished()
            #expect(server.accepted.load() == 1)
        }
    }

    @Test func aRefusedConnectionFailsTheCall() async throws {
        let server = try await ScriptedServer()
        let target = server.target
        try await server.stop()
        let pool = try pool()
        defer { pool.shutdown() }
        let recorder = CallRecorder()
        let synchronous = try await recorder.start(pool, HTTP1Request(target: target, path: "/ok", body: ByteBuffer()))
        #expect(synchronous == 0)
        try await recorder.finished()
        let (error, offLoop) = try await recorder.read { ($0.error, $0.offLoop) }
        #expect(error?.description.contains("refused") == true, "\(String(describing: error))")
        #expect(offLoop == 0)
    }

    @Test func aShutDownPoolFailsTheCallAsynchronously() async throws {
        try await withServerAndPool { server, pool in
            pool.shutdown()
            let recorder = CallRecorder()
            #expect(try await recorder.start(pool, request(server, "/ok")) == 0)
            try await recorder.finished()
            let (events, offLoop) = try await recorder.read { ($0.events, $0.offLoop) }
            #expect(events == ["failed \(HTTP1ClientError.shutdown)"])
            #expect(offLoop == 0)
            #expect(server.accepted.load() == 0)
        }
    }

    @Test func aCallLetsGoOfItsDelegateOnceFinished() async throws {
        try await withServerAndPool { server, pool in
            weak var weakRecorder: CallRecorder?
            do {
                let recorder = CallRecorder()
                weakRecorder = recorder
                _ = try await recorder.start(pool, request(server, "/ok"))  // recorder → call → recorder
                try await recorder.finished()
            }
            try await Task.sleep(for: .milliseconds(20))
            #expect(weakRecorder == nil)
        }
    }
}
