import NexusJSON
import Synchronization

/// Which upstream made each thinking signature the gateway relayed, for the life of the process
/// (the newest 65,536, oldest forgotten first).
///
/// Signatures are bound to the upstream that made them. With this ledger a request that moves to
/// another upstream loses only the thinking blocks that upstream would refuse, not those it made
/// itself (a conversation served by a fallback during a long outage keeps its thinking). Keyed by
/// the signature's hash (a redacted block's by its data): a collision can only make a block be
/// kept that a target then refuses, which the exchange mends by sending again without thinking.
public final class SignatureLedger: Sendable {
    private struct State {
        var origins: [Int: String] = [:]
        var order: [Int] = []
        var next = 0
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 65_536) { self.capacity = capacity }

    /// Notes that `upstream` made `signature`.
    public func record(_ signature: String, upstream: String) {
        guard !signature.isEmpty else { return }
        let key = signature.hashValue
        state.withLock { s in
            if s.origins.updateValue(upstream, forKey: key) != nil { return }
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                s.origins[s.order[s.next]] = nil
                s.order[s.next] = key
                s.next = (s.next + 1) % capacity
            }
        }
    }

    /// The upstream that made `signature`, if the gateway relayed it.
    public func origin(of signature: String) -> String? {
        let key = signature.hashValue
        return state.withLock { $0.origins[key] }
    }

    /// The signature of a `thinking` block, or the data of a `redacted_thinking` one.
    public static func signature(of block: JSONValue) -> String? {
        switch block["type"]?.stringValue {
        case "thinking": block["signature"]?.stringValue
        case "redacted_thinking": block["data"]?.stringValue
        default: nil
        }
    }

    /// Notes the signatures of an answer's content blocks (a Messages `content` array).
    public func recordBlocks(_ content: [JSONValue], upstream: String) {
        for block in content { if let signature = Self.signature(of: block) { record(signature, upstream: upstream) } }
    }
}
