import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Answers one request. Call the responder exactly once, from any thread, now or later;
/// extra calls are ignored, and a request not answered within `requestDeadline` gets a 503.
/// Handlers run on a concurrent queue owned by the server (not Dispatch's global pool, so a
/// handler that blocks cannot starve unrelated work); move long CPU work to your own queue.
/// A `HEAD` request reaches the handler as "HEAD"; answer it like GET: the server sends the
/// headers and `Content-Length` but drops the body.
public typealias HTTPHandler = (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void

/// A minimal HTTP/1.1 server on POSIX sockets and Dispatch.
///
/// ```swift
/// let server = HTTPServer(config: ServerConfig(host: "127.0.0.1", port: 0)) { request, respond in
///     respond(.text("hello \(request.path)"))
/// }
/// let port = try server.start()
/// server.installSignalHandlers()   // SIGTERM/SIGINT → graceful shutdown
/// server.waitUntilStopped()
/// ```
public final class HTTPServer: @unchecked Sendable {
    public let config: ServerConfig
    private let handler: HTTPHandler
    /// Serialises the listener and the connection table.
    private let queue = DispatchQueue(label: "atelier.http.server")
    private let handlerQueue = DispatchQueue(label: "atelier.http.handlers", attributes: .concurrent)

    private enum State { case idle, running, draining, stopped }

    // Touched only on `queue`.
    private var state = State.idle
    private var acceptSource: DispatchSourceRead?
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var rejecting: [ObjectIdentifier: Connection] = [:]
    private var signalSources: [DispatchSourceSignal] = []

    /// Guards what other threads read: the count, the port, and the stopped flag.
    private let condition = NSCondition()
    private var servingCount = 0
    private var isStopped = false
    private var boundPort = 0

    /// Over-limit clients still being sent their 503 are bounded too, so a flood cannot
    /// pile up descriptors.
    private static let maxRejectingConnections = 64

    public init(config: ServerConfig, handler: @escaping HTTPHandler) {
        self.config = config
        self.handler = handler
    }

    /// Connections currently being served (not counting over-limit ones being turned away).
    public var activeConnections: Int {
        condition.lock()
        defer { condition.unlock() }
        return servingCount
    }

    /// The bound port once started (0 before).
    public var port: Int {
        condition.lock()
        defer { condition.unlock() }
        return boundPort
    }

    /// Binds, listens and starts accepting. Returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws -> Int {
        try queue.sync {
            guard state == .idle else { throw HTTPServerError.alreadyStarted }
            let (fd, port) = try Socket.listen(host: config.host, port: config.port, backlog: config.backlog)
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [weak self] in self?.acceptPending(fd) }
            source.setCancelHandler { close(fd) }
            acceptSource = source
            state = .running
            condition.lock()
            boundPort = port
            condition.unlock()
            source.resume()
            return port
        }
    }

    /// Stops accepting, lets requests in progress finish for up to `gracePeriod` seconds
    /// (their responses carry `Connection: close`), closes idle connections at once, and
    /// force-closes whatever remains when the period ends. Returns immediately; use
    /// `waitUntilStopped()` to wait. Safe to call more than once.
    public func shutdown(gracePeriod: TimeInterval = 10) {
        queue.async { [self] in
            switch state {
            case .idle:
                state = .stopped
                markStopped()
                return
            case .draining, .stopped:
                return
            case .running:
                break
            }
            state = .draining
            acceptSource?.cancel()
            acceptSource = nil
            for connection in connections.values { connection.drain() }
            for connection in rejecting.values { connection.forceClose() }
            queue.asyncAfter(deadline: .now() + gracePeriod) { [self] in
                for connection in connections.values { connection.forceClose() }
            }
            stopIfDrained()
        }
    }

    /// Blocks the caller until the server has stopped (returns at once if it never started
    /// and `shutdown` was called, or if it already stopped).
    public func waitUntilStopped() {
        condition.lock()
        while !isStopped { condition.wait() }
        condition.unlock()
    }

    /// Installs SIGTERM and SIGINT handlers that call `shutdown(gracePeriod:)`. The signals'
    /// default actions are disabled process-wide (so the process no longer dies on them);
    /// the caller should then `waitUntilStopped()` and exit. Call at most once per process.
    public func installSignalHandlers(gracePeriod: TimeInterval = 10) {
        queue.sync {
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { [weak self] in self?.shutdown(gracePeriod: gracePeriod) }
                source.resume()
                signalSources.append(source)
            }
        }
    }

    // MARK: - Accepting

    private func acceptPending(_ listener: Int32) {
        while state == .running, let (fd, peer) = Socket.accept(listener) {
            let connection = Connection(fd: fd, remoteAddress: peer, config: config, handler: handler,
                                        handlerQueue: handlerQueue) {
                [weak self] closed in
                guard let self else { return }
                self.queue.async { self.connectionClosed(closed) }
            }
            let key = ObjectIdentifier(connection)
            if connections.count < config.maxConnections {
                connections[key] = connection
                updateServingCount()
                connection.start()
            } else if rejecting.count < Self.maxRejectingConnections {
                rejecting[key] = connection
                connection.start(rejection: .error(
                    status: 503, code: "too_many_connections",
                    message: "The server is at its connection limit; retry shortly.", retryAfter: 1))
            } else {
                close(fd)
            }
        }
    }

    private func connectionClosed(_ connection: Connection) {
        let key = ObjectIdentifier(connection)
        connections.removeValue(forKey: key)
        rejecting.removeValue(forKey: key)
        updateServingCount()
        stopIfDrained()
    }

    private func updateServingCount() {
        condition.lock()
        servingCount = connections.count
        condition.unlock()
    }

    private func stopIfDrained() {
        guard state == .draining, connections.isEmpty, rejecting.isEmpty else { return }
        state = .stopped
        for source in signalSources { source.cancel() }
        signalSources.removeAll()
        markStopped()
    }

    private func markStopped() {
        condition.lock()
        isStopped = true
        condition.broadcast()
        condition.unlock()
    }
}
