import Synchronization

/// Memory shared by the requests of one simulator: `sim:throttle` counters, the prompt-cache
/// prefixes seen (both bounded, oldest entries forgotten first) and the process-level fault.
final class SimulatorState: Sendable {
    private let throttleCounts = Mutex(BoundedDictionary<Int, Int>(capacity: 1024))
    private let cachedPrefixes = Mutex(BoundedDictionary<Int, Bool>(capacity: 4096))
    private let currentFault: Mutex<SimulatorFault>

    init(fault: SimulatorFault = SimulatorFault()) {
        currentFault = Mutex(fault)
    }

    /// The fault every request gets now (`--fault`, `POST /_sim/fault`).
    var fault: SimulatorFault {
        get { currentFault.withLock { $0 } }
        set { currentFault.withLock { $0 = newValue } }
    }

    /// Counts one more request for `text` and returns how many there have been, this one included.
    func countRequest(text: String) -> Int {
        let key = text.hashValue
        return throttleCounts.withLock { counts in
            let count = (counts[key] ?? 0) + 1
            counts.set(key, count)
            return count
        }
    }

    /// Looks up the prefixes (shortest first), records them all, and returns the index of the
    /// longest one that was already known.
    func lookUpAndRecord(prefixes: [Int]) -> Int? {
        cachedPrefixes.withLock { known in
            let hit = prefixes.lastIndex { known[$0] != nil }
            for prefix in prefixes { known.set(prefix, true) }
            return hit
        }
    }
}

/// A dictionary that forgets its oldest keys beyond `capacity`.
struct BoundedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var storage: [Key: Value] = [:]
    private var order: [Key] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(key: Key) -> Value? { storage[key] }

    /// Sets the value of `key`; a new key may push the oldest one out.
    mutating func set(_ key: Key, _ value: Value) {
        if storage.updateValue(value, forKey: key) == nil {
            order.append(key)
            if storage.count > capacity { evictOldest() }
        }
    }

    private mutating func evictOldest() {
        while storage.count > capacity, head < order.count {
            storage[order[head]] = nil
            head += 1
        }
        if head > capacity {
            order.removeFirst(head)
            head = 0
        }
    }
}
