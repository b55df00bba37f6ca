import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap memory freed after a burst of requests back to the system.
///
/// glibc's allocator keeps freed pages in its arenas: after 256 concurrent streams the gateway
/// stayed ~30 MB above its idle size for good. It calls `malloc_trim(0)` (a few hundred
/// microseconds, and a few hundred `madvise` calls) once the gateway has been idle for a whole
/// `interval` (2 s: no request started, none in flight) after serving requests: after a burst,
/// never under steady load, where the memory given back would only be faulted in again.
/// Elsewhere than glibc it does nothing.
public struct MemoryTrimService: Service, CustomStringConvertible {
    let gateway: Gateway
    let interval: Duration

    public init(gateway: Gateway, interval: Duration = .seconds(2)) {
        self.gateway = gateway
        self.interval = interval
    }

    public var description: String { "MemoryTrimService" }

    /// glibc's `malloc_trim`, looked up at run time (the Glibc module does not export it).
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var trimmedAt = gateway.limiter.snapshot.granted
            var lastSeen = trimmedAt
            while true {
                do { try await Task.sleep(for: interval) } catch { return }
                let (inFlight, granted) = gateway.limiter.snapshot
                defer { lastSeen = granted }
                // Idle for the whole interval, after requests since the last trim.
                guard inFlight == 0, granted == lastSeen, granted != trimmedAt else { continue }
                trimmedAt = granted
                _ = Self.mallocTrim?(0)
            }
        }
    }
}
