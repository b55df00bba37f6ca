import NexusJSON

/// A process-level fault for fallback tests, applied to every request of both faces after
/// authentication (and, on the Converse face, the model id): `--fault SPEC` on `simulate`,
/// `POST /_sim/fault` while running.
///
/// Specs: `throttle` (Converse 429 `ThrottlingException`; Anthropic 429 `rate_limit_error` with
/// `retry-after`), `overloaded` (Converse 503 `ServiceUnavailableException`; Anthropic 529
/// `overloaded_error`), `error:NAME` (the face's `sim:error:NAME`), `slow:S` (S seconds before
/// the response head), `cut` (streams are cut about half-way). `slow` and `cut` combine with one
/// of the others; the last failure spec wins.
public struct SimulatorFault: Sendable, Equatable {
    /// What every request answers instead of its normal answer.
    public enum Failure: Sendable, Equatable {
        case throttle
        case overloaded
        case error(String)
    }

    public var failure: Failure?
    /// Waited before the response head (errors included).
    public var delay: Duration?
    /// Streams (ConverseStream and `"stream": true`) are cut about half-way.
    public var cutStreams: Bool

    public init(failure: Failure? = nil, delay: Duration? = nil, cutStreams: Bool = false) {
        self.failure = failure
        self.delay = delay
        self.cutStreams = cutStreams
    }

    /// No fault at all.
    public var isNone: Bool { failure == nil && delay == nil && !cutStreams }

    /// A spec that is not one of the forms above.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var spec: String
        public var description: String {
            "unknown fault '\(spec)': expected throttle, overloaded, error:NAME, slow:S or cut"
        }
    }

    /// The fault described by `specs` (none for an empty list).
    public static func parse(_ specs: [String]) throws(ParseError) -> SimulatorFault {
        var fault = SimulatorFault()
        for spec in specs {
            let trimmed = Words.trimmed(spec)
            if trimmed == "throttle" {
                fault.failure = .throttle
            } else if trimmed == "overloaded" {
                fault.failure = .overloaded
            } else if trimmed == "cut" {
                fault.cutStreams = true
            } else if trimmed.hasPrefix("error:"), trimmed.count > 6 {
                fault.failure = .error(String(trimmed.dropFirst(6)))
            } else if trimmed.hasPrefix("slow:"), let seconds = Double(trimmed.dropFirst(5)), seconds >= 0,
                seconds <= Scenario.maxSeconds
            {
                fault.delay = .milliseconds(Int(seconds * 1000))
            } else if trimmed.isEmpty || trimmed == "none" {
                continue
            } else {
                throw ParseError(spec: spec)
            }
        }
        return fault
    }

    /// The specs that describe this fault, e.g. `["slow:2", "throttle"]`.
    public var specs: [String] {
        var specs: [String] = []
        if let delay {
            let (seconds, attoseconds) = delay.components
            let value = Double(seconds) + Double(attoseconds) / 1e18
            specs.append(value == value.rounded() ? "slow:\(Int(value))" : "slow:\(value)")
        }
        if cutStreams { specs.append("cut") }
        switch failure {
        case .throttle: specs.append("throttle")
        case .overloaded: specs.append("overloaded")
        case .error(let name): specs.append("error:\(name)")
        case nil: break
        }
        return specs
    }

    /// `{"fault": [specs…]}` (`null` when there is none), the answer of `/_sim/fault`.
    var jsonValue: JSONValue {
        isNone ? ["fault": .null] : ["fault": .array(specs.map { .string($0) })]
    }
}
