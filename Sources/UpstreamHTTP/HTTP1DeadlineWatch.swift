import NIOCore

/// The deadlines of the calls running on one event loop, watched by one timer.
///
/// Why: a timer per call cost each request a scheduled task and its cancellation, with the
/// heap operations and copies they make (2.6 % of a small request's CPU in a profile). Here a call's
/// deadline takes a slot of an array and gives it back; the one timer is armed for the earliest
/// deadline and moved only when a call comes with an earlier one. A gateway's calls all have the
/// same timeout, so the timer is almost never moved: it fires about once per timeout, fails what
/// is due (usually nothing), and is armed again for the earliest deadline left, if any.
///
/// Exact: a call fails at its deadline, never before, and no later than a timer of its own would
/// have failed it. Not Sendable: used only on its event loop.
final class HTTP1DeadlineWatch {
    /// A watched call's place in the watch, to take it out.
    struct Slot {
        fileprivate let index: Int
    }

    private let eventLoop: any EventLoop
    /// Watched calls by slot; nil for a free slot.
    private var entries: [(call: HTTP1Call, deadline: NIODeadline)?] = []
    private var freeSlots: [Int] = []
    private var timer: (callback: NIOScheduledCallback, at: NIODeadline)?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Calls watched now.
    var count: Int { entries.count - freeSlots.count }

    /// Watches `call` until `remove`; at `deadline` the watch calls its `deadlinePassed()` (and
    /// forgets it). Throws when the event loop is shutting down.
    func add(_ call: HTTP1Call, deadline: NIODeadline) throws -> Slot {
        if timer == nil || deadline < timer!.at { try arm(at: deadline) }
        if let index = freeSlots.popLast() {
            entries[index] = (call, deadline)
            return Slot(index: index)
        }
        entries.append((call, deadline))
        return Slot(index: entries.count - 1)
    }

    /// Stops watching `call`, which `slot` was given for. A slot the watch freed meanwhile (the
    /// call's deadline passed) may hold another call by now: that one stays.
    func remove(_ call: HTTP1Call, from slot: Slot) {
        guard entries[slot.index]?.call === call else { return }
        entries[slot.index] = nil
        freeSlots.append(slot.index)
        // The timer stays: moving it costs more than letting it fire once for nothing.
        if count == 0 { removeAllSlots() }
    }

    private func arm(at deadline: NIODeadline) throws {
        timer?.callback.cancel()
        timer = nil
        let callback = try eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: Fire(watch: self))
        timer = (callback, deadline)
    }

    private func removeAllSlots() {
        entries.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
    }

    /// The timer fired: fails the calls that are due, and arms the timer for the earliest
    /// deadline left. Due calls are taken out before any is told, as a call that fails may start
    /// another.
    fileprivate func fire() {
        timer = nil
        let now = NIODeadline.now()
        var due: [HTTP1Call] = []
        var earliest: NIODeadline?
        for index in entries.indices {
            guard let (call, deadline) = entries[index] else { continue }
            if deadline <= now {
                due.append(call)
                entries[index] = nil
                freeSlots.append(index)
            } else {
                earliest = min(earliest ?? deadline, deadline)
            }
        }
        if count == 0 {
            removeAllSlots()
        } else if let earliest {
            // Only a loop shutting down refuses: its calls then end with their connections.
            try? arm(at: earliest)
        }
        for call in due { call.deadlinePassed() }
    }

    private struct Fire: NIOScheduledCallbackHandler {
        let watch: HTTP1DeadlineWatch
        func handleScheduledCallback(eventLoop: some EventLoop) { watch.fire() }
    }
}
