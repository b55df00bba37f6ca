import AnthropicAPI
import Providers
import Testing

/// The exchange's decisions on a test clock: `t0` plus durations, no sleeping, no sockets.
@Suite struct ExchangeStateMachineTests {
    let t0 = ContinuousClock.now
    let throttled = APIError(.rateLimit, "Too many requests")
    let overloaded = APIError(.overloaded, "Overloaded")
    let refused = APIError(.api, "Could not reach AI Nexus at x: connection refused", status: 502)
    let timedOut = APIError(.timeout, "AI Nexus (x) did not answer in time.", status: 504)
    let invalid = APIError.invalid("messages: Field required")

    func limits(maxAttempts: Int = 4) -> ExchangeStateMachine.Limits {
        var retry = RetryPolicy()
        retry.maxAttempts = maxAttempts
        retry.baseDelay = .milliseconds(500)
        return ExchangeStateMachine.Limits(
            retry: retry, firstByteTimeout: .seconds(600), totalTimeout: .seconds(900), idleTimeout: .seconds(300),
            pingInterval: .seconds(5), shutdownGrace: .seconds(30))
    }

    @Test func failuresAreClassified() {
        #expect(ExchangeStateMachine.classify(throttled) == .retryable)
        #expect(ExchangeStateMachine.classify(overloaded) == .retryable)
        #expect(ExchangeStateMachine.classify(refused) == .retryable)
        #expect(ExchangeStateMachine.classify(APIError(.api, "boom", status: 500)) == .retryable)
        #expect(ExchangeStateMachine.classify(timedOut) == .fallBack)
        #expect(ExchangeStateMachine.classify(invalid) == .terminal)
        #expect(ExchangeStateMachine.classify(APIError(.authentication, "bad key")) == .terminal)
        #expect(ExchangeStateMachine.classify(APIError(.api, "client gone", status: 499)) == .terminal)
    }

    @Test func aLoneTargetRetriesWithBackoffUntilTheAttemptsAreSpent() {
        var m = ExchangeStateMachine(targetCount: 1, limits: limits(maxAttempts: 3), now: t0)
        #expect(m.target == 0)
        guard case .wait(let first, target: 0) = m.attemptFailed(throttled, now: t0, random: 1) else {
            Issue.record("expected a wait")
            return
        }
        #expect(first == .milliseconds(500))
        #expect(m.waited() == 0)
        guard case .wait(let second, target: 0) = m.attemptFailed(throttled, now: t0 + .seconds(1), random: 1) else {
            Issue.record("expected a second wait")
            return
        }
        #expect(second == .seconds(1))
        #expect(m.waited() == 0)
        #expect(m.attemptFailed(throttled, now: t0 + .seconds(2), random: 1) == .fail(throttled))
        #expect(m.retries == 2 && m.fallbacks == 0)
        #expect(m.isDone)
    }

    @Test func retryAfterIsHonoured() {
        var m = ExchangeStateMachine(targetCount: 1, limits: limits(), now: t0)
        var error = throttled
        error.retryAfter = 3
        #expect(m.attemptFailed(error, now: t0, random: 0.1) == .wait(.seconds(3), target: 0))
    }

    @Test func aBadRequestIsTheAnswerAtOnce() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
        #expect(m.attemptFailed(invalid, now: t0, random: 1) == .fail(invalid))
        #expect(m.fallbacks == 0)
    }

    @Test func aRetryableFailureFallsBackAtOnceBeforeTheFirstByte() {
        for error in [throttled, overloaded, refused, timedOut] {
            var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
            #expect(m.attemptFailed(error, now: t0, random: 1) == .send(target: 1), "\(error)")
            #expect(m.fallbacks == 1 && m.retries == 0)
        }
    }

    @Test func aTimeoutOnTheLastTargetIsNotRetried() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
        #expect(m.attemptFailed(timedOut, now: t0, random: 1) == .send(target: 1))
        #expect(m.attemptFailed(timedOut, now: t0 + .seconds(1), random: 1) == .fail(timedOut))
    }

    @Test func whenEveryTargetFailedANewPassStartsAfterTheBackoff() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(maxAttempts: 2), now: t0)
        #expect(m.attemptFailed(throttled, now: t0, random: 1) == .send(target: 1))
        #expect(m.attemptFailed(throttled, now: t0, random: 1) == .wait(.milliseconds(500), target: 0))
        #expect(m.waited() == 0)
        #expect(m.attemptFailed(throttled, now: t0 + .seconds(1), random: 1) == .send(target: 1))
        // Two passes were the policy's two attempts.
        #expect(m.attemptFailed(overloaded, now: t0 + .seconds(1), random: 1) == .fail(overloaded))
        #expect(m.retries == 1 && m.fallbacks == 2)
    }

    @Test func noFallbackAfterTheFirstByte() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
        m.committed()
        #expect(m.attemptFailed(throttled, now: t0, random: 1) == .none)
        #expect(m.target == 0)
    }

    @Test func aCoolingTargetIsSkippedAndTriedOnlyWhenNothingElseIsLeft() {
        // The first target cools down: requests start on the second.
        var m = ExchangeStateMachine(targetCount: 3, limits: limits(), now: t0, isAvailable: { $0 != 0 })
        #expect(m.target == 1)
        #expect(m.attemptFailed(throttled, now: t0, random: 1, isAvailable: { $0 != 0 }) == .send(target: 2))
        // Nothing available is left untried: the cooling target still beats failing.
        #expect(m.attemptFailed(throttled, now: t0, random: 1, isAvailable: { $0 != 0 }) == .send(target: 0))
        // Every target cooling: the first is tried anyway.
        let all = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0, isAvailable: { _ in false })
        #expect(all.target == 0)
    }

    @Test func noFallbackPastTheTotalTimeout() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
        #expect(m.attemptFailed(throttled, now: t0 + .seconds(901), random: 1) == .fail(throttled))
    }

    @Test func anAttemptNeverWaitsPastTheTotalTimeout() {
        let m = ExchangeStateMachine(targetCount: 1, limits: limits(), now: t0)
        #expect(m.attemptTimeout(now: t0) == .seconds(600))
        #expect(m.attemptTimeout(now: t0 + .seconds(800)) == .seconds(100))
        #expect(m.attemptTimeout(now: t0 + .seconds(1000)) == .zero)
    }

    @Test func aFinishedExchangeDecidesNothing() {
        var m = ExchangeStateMachine(targetCount: 2, limits: limits(), now: t0)
        m.finished()  // the client left
        #expect(m.attemptFailed(throttled, now: t0, random: 1) == .none)
        #expect(m.waited() == nil)
        #expect(
            m.tick(now: t0 + .seconds(400), lastUpstream: t0, lastWrite: t0, shutdownSeen: nil, upstream: "AI Nexus")
                == .none)
    }

    // MARK: The stream's timers

    func streaming() -> ExchangeStateMachine {
        var m = ExchangeStateMachine(targetCount: 1, limits: limits(), now: t0)
        m.committed()
        return m
    }

    @Test func aSilentStreamIsPingedThenTimedOut() {
        let m = streaming()
        let tick = { (now: Duration, upstream: Duration, write: Duration) in
            m.tick(
                now: t0 + now, lastUpstream: t0 + upstream, lastWrite: t0 + write, shutdownSeen: nil,
                upstream: "AI Nexus")
        }
        #expect(tick(.seconds(1), .seconds(1), .seconds(1)) == .none)
        #expect(tick(.seconds(6), .seconds(1), .seconds(1)) == .ping)
        guard case .fail(let outcome, let error) = tick(.seconds(301), .zero, .seconds(300)) else {
            Issue.record("expected the idle timeout")
            return
        }
        #expect(outcome == "idle timeout" && error.kind == .timeout && error.message.contains("AI Nexus sent nothing"))
    }

    @Test func aLongStreamHitsTheTotalTimeout() {
        let m = streaming()
        let result = m.tick(
            now: t0 + .seconds(900), lastUpstream: t0 + .seconds(899), lastWrite: t0 + .seconds(899), shutdownSeen: nil,
            upstream: "AI Nexus")
        guard case .fail("total timeout", let error) = result else {
            Issue.record("expected the total timeout, got \(result)")
            return
        }
        #expect(error.kind == .timeout)
    }

    @Test func shutdownCutsAStreamBeforeTheGraceRunsOut() {
        let m = streaming()
        let seen = t0 + .seconds(10)
        let early = m.tick(
            now: seen + .seconds(5), lastUpstream: seen + .seconds(5), lastWrite: seen + .seconds(5),
            shutdownSeen: seen,
            upstream: "AI Nexus")
        #expect(early == .none)
        // Grace 30 s, ticks of 1 s: the last tick that can still tell the client is 2.25 s before.
        let late = m.tick(
            now: seen + .milliseconds(27_750), lastUpstream: seen + .seconds(27), lastWrite: seen + .seconds(27),
            shutdownSeen: seen, upstream: "AI Nexus")
        guard case .fail("shutdown", let error) = late else {
            Issue.record("expected the shutdown cut, got \(late)")
            return
        }
        #expect(error.kind == .overloaded)
    }
}

@Suite struct CircuitBreakerTests {
    let t0 = ContinuousClock.now
    let policy = CircuitBreaker.Policy(failureThreshold: 2, cooldown: .seconds(30), maxCooldown: .seconds(100))

    @Test func repeatedFailuresCoolATargetDownAndItRecovers() {
        var b = CircuitBreaker(policy: policy)
        let a1 = b.allows(now: t0)
        #expect(a1)
        b.recordFailure(now: t0)
        let a2 = b.allows(now: t0)
        #expect(a2 && !b.isCoolingDown(now: t0))
        b.recordFailure(now: t0)
        let a3 = b.allows(now: t0 + .seconds(29))
        #expect(!a3 && b.isCoolingDown(now: t0 + .seconds(29)))
        // After the cooldown one probe goes; others wait for it.
        let a4 = b.allows(now: t0 + .seconds(30))
        #expect(a4)
        let a5 = b.allows(now: t0 + .seconds(31))
        #expect(!a5)
        b.recordSuccess()
        let a6 = b.allows(now: t0 + .seconds(31))
        #expect(a6 && !b.isCoolingDown(now: t0 + .seconds(31)))
        #expect(b.state == .closed(failures: 0))
    }

    @Test func aFailedProbeCoolsDownTwiceAsLongUpToTheMaximum() {
        var b = CircuitBreaker(policy: policy)
        b.recordFailure(now: t0)
        b.recordFailure(now: t0)
        let a7 = b.allows(now: t0 + .seconds(30))
        #expect(a7)
        b.recordFailure(now: t0 + .seconds(30))
        let a8 = b.allows(now: t0 + .seconds(89))
        #expect(!a8)
        let a9 = b.allows(now: t0 + .seconds(90))
        #expect(a9)
        b.recordFailure(now: t0 + .seconds(90))
        #expect(b.state == .open(until: t0 + .seconds(190), cooldown: .seconds(100)))
    }

    @Test func aProbeThatNeverReportsLetsAnotherGo() {
        var b = CircuitBreaker(policy: policy)
        b.recordFailure(now: t0)
        b.recordFailure(now: t0)
        let a10 = b.allows(now: t0 + .seconds(30))
        #expect(a10)
        let a11 = b.allows(now: t0 + .seconds(59))
        #expect(!a11)
        let a12 = b.allows(now: t0 + .seconds(60))
        #expect(a12)
    }

    @Test func aSuccessResetsTheCount() {
        var b = CircuitBreaker(policy: policy)
        b.recordFailure(now: t0)
        b.recordSuccess()
        b.recordFailure(now: t0)
        let a13 = b.allows(now: t0)
        #expect(a13)
    }
}
