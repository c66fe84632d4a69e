import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One accepted TCP connection: reads and parses requests, hands them to the handler one at
/// a time, and writes the responses strictly in request order.
///
/// All state lives on the connection's own serial `queue`; sockets are non-blocking and
/// driven by dispatch read/write sources, so a slow peer only ever occupies its own queue.
/// Requests that arrive pipelined are parsed ahead (up to `maxPipelinedRequests`) but the
/// handler sees the next one only after the previous one has been answered.
final class Connection {
    private enum Lifecycle {
        case open
        /// Last response sent and write side shut down; input is discarded until EOF or
        /// `lingerTimeout`, then the socket is closed.
        case lingering
        case closed
    }

    /// Work waiting to be answered, in arrival order.
    private enum Pending {
        case request(HTTPRequest)
        /// A request that could not be parsed (or timed out): answered, then the connection closes.
        case failure(HTTPResponse)
    }

    private struct InFlight {
        let id: Int
        let isHead: Bool
        let keepAlive: Bool
        let http10Client: Bool
        let deadline: DispatchWorkItem
    }

    /// Which read timeout is running.
    private enum ReadPhase {
        case none, head, body, idle
    }

    let fd: Int32
    let remoteAddress: String
    let queue: DispatchQueue
    private let config: ServerConfig
    private let handler: HTTPHandler
    private let handlerQueue: DispatchQueue
    private let onClosed: (Connection) -> Void

    private var parser: RequestParser
    private var readSource: DispatchSourceRead?
    private var writeSource: DispatchSourceWrite?
    private var readSuspended = true
    private var writeSuspended = true
    private var sourcesAwaitingCancel = 0
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 16)

    private var lifecycle = Lifecycle.open
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var pending: [Pending] = []
    private var inFlight: InFlight?
    private var nextRequestID = 0
    /// The request whose body is being read sent `Expect: 100-continue` and has not been
    /// told to go ahead yet (earlier responses must be written first).
    private var owesContinue = false
    /// No further requests are parsed: an error is pending, the peer closed its side, or the
    /// connection closes after the current response.
    private var stopParsing = false
    private var closeAfterFlush = false
    private var peerClosedInput = false
    private var draining = false
    private var requestsServed = 0
    private var bytesReceived = 0

    private var readPhase = ReadPhase.none
    private var readTimer: DispatchWorkItem?
    private var lingerTimer: DispatchWorkItem?
    /// Runs while a response waits for the peer to take more of it (`sendTimeout`).
    private var sendTimer: DispatchWorkItem?

    init(fd: Int32, remoteAddress: String, config: ServerConfig, handler: @escaping HTTPHandler,
         handlerQueue: DispatchQueue, onClosed: @escaping (Connection) -> Void) {
        self.handlerQueue = handlerQueue
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.config = config
        self.handler = handler
        self.onClosed = onClosed
        self.parser = RequestParser(limits: config)
        self.queue = DispatchQueue(label: "atelier.http.connection.\(remoteAddress)")
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: - Control (called from the server)

    /// Starts serving. With `rejection`, only writes that response and closes (used when
    /// the server is at its connection limit).
    func start(rejection: HTTPResponse? = nil) {
        queue.async { [self] in
            makeSources()
            if let rejection {
                stopParsing = true
                resumeReading()
                send(rejection, isHead: false, keepAlive: false, http10Client: false)
            } else {
                resumeReading()
                updateReadTimer()
            }
        }
    }

    /// Graceful shutdown: finish the request in progress (its response says
    /// `Connection: close`), close right away if there is none.
    func drain() {
        queue.async { [self] in
            draining = true
            if lifecycle == .open && isIdle { closeNow() }
        }
    }

    func forceClose() {
        queue.async { [self] in closeNow() }
    }

    // MARK: - Sources

    private func makeSources() {
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        read.setEventHandler { [unowned self] in readable() }
        read.setCancelHandler { [self] in sourceCancelled() }
        let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        write.setEventHandler { [unowned self] in flush() }
        write.setCancelHandler { [self] in sourceCancelled() }
        readSource = read
        writeSource = write
        sourcesAwaitingCancel = 2
    }

    private func resumeReading() {
        guard readSuspended, lifecycle != .closed, !peerClosedInput, let readSource else { return }
        readSuspended = false
        readSource.resume()
    }

    private func suspendReading() {
        guard !readSuspended, let readSource else { return }
        readSuspended = true
        readSource.suspend()
    }

    private func resumeWriting() {
        guard writeSuspended, let writeSource else { return }
        writeSuspended = false
        writeSource.resume()
    }

    private func suspendWriting() {
        guard !writeSuspended, let writeSource else { return }
        writeSuspended = true
        writeSource.suspend()
    }

    /// The descriptor is closed only after both sources are cancelled, so the kernel never
    /// sees a reused descriptor number registered with a stale source.
    private func sourceCancelled() {
        sourcesAwaitingCancel -= 1
        if sourcesAwaitingCancel == 0 {
            // Dropping the sources breaks the source → handler → self cycle.
            readSource = nil
            writeSource = nil
            close(fd)
            onClosed(self)
        }
    }

    // MARK: - Reading

    private func readable() {
        guard lifecycle != .closed else { return }
        let count = read(fd, readBuffer.baseAddress, readBuffer.count)
        if count > 0 {
            // After an error or while lingering, input is read only to be discarded.
            guard lifecycle == .open, !stopParsing else { return }
            bytesReceived += count
            parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            parseAvailable()
        } else if count == 0 {
            peerClosed()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            closeNow()
        }
    }

    /// The peer shut down its sending side. Requests already received are still answered
    /// (the last response closes); a partly received request is dropped.
    private func peerClosed() {
        if lifecycle == .lingering { closeNow(); return }
        suspendReading()
        peerClosedInput = true
        stopParsing = true
        if inFlight == nil && pending.isEmpty {
            if outboundOffset == outbound.count { closeNow() } else { closeAfterFlush = true }
        }
        updateReadTimer()
    }

    /// Parses buffered input into pending requests until input runs out, the pipeline is
    /// full, or the parser fails.
    private func parseAvailable() {
        while lifecycle == .open && !stopParsing && pending.count < config.maxPipelinedRequests {
            do {
                guard let event = try parser.next() else { break }
                switch event {
                case .head(let head):
                    owesContinue = head.expectsContinue && head.hasBody
                case .request(var request):
                    owesContinue = false
                    request.remoteAddress = remoteAddress
                    pending.append(.request(request))
                }
            } catch {
                let parseError = error as? HTTPParseError ?? .malformed("Unparseable request.")
                fail(with: .error(parseError))
            }
        }
        if pending.count >= config.maxPipelinedRequests { suspendReading() }
        dispatchNext()
        sendContinueIfDue()
        updateReadTimer()
    }

    /// Queues an error response after everything received before it; the connection closes
    /// once it has been written.
    private func fail(with response: HTTPResponse) {
        stopParsing = true
        owesContinue = false
        pending.append(.failure(response))
    }

    private func sendContinueIfDue() {
        guard owesContinue, inFlight == nil, pending.isEmpty, lifecycle == .open, !stopParsing else { return }
        owesContinue = false
        enqueue(ResponseWriter.continueResponse)
    }

    // MARK: - Handling

    private func dispatchNext() {
        guard inFlight == nil, lifecycle == .open, !closeAfterFlush, !pending.isEmpty else { return }
        switch pending.removeFirst() {
        case .failure(let response):
            send(response, isHead: false, keepAlive: false, http10Client: false)
        case .request(let request):
            nextRequestID += 1
            let id = nextRequestID
            let deadline = DispatchWorkItem { [weak self] in self?.deadlineExpired(id) }
            queue.asyncAfter(deadline: .now() + config.requestDeadline, execute: deadline)
            inFlight = InFlight(id: id, isHead: request.method == "HEAD", keepAlive: request.keepAlive,
                                http10Client: request.version.minor == 0, deadline: deadline)
            let respond: (HTTPResponse) -> Void = { [weak self] response in
                guard let self else { return }
                self.queue.async { self.complete(id, with: response) }
            }
            let handler = self.handler
            handlerQueue.async { handler(request, respond) }
            if !stopParsing && pending.count < config.maxPipelinedRequests { resumeReading() }
        }
    }

    /// The handler answered request `id` (later calls for the same id are ignored).
    private func complete(_ id: Int, with response: HTTPResponse, forceClose: Bool = false) {
        guard let current = inFlight, current.id == id, lifecycle == .open else { return }
        current.deadline.cancel()
        inFlight = nil
        let noMoreRequests = stopParsing && pending.isEmpty
        let keepAlive = current.keepAlive && !forceClose && !draining && !noMoreRequests
            && !response.headers.tokens("Connection").contains("close")
        send(response, isHead: current.isHead, keepAlive: keepAlive, http10Client: current.http10Client)
        guard keepAlive else { return }
        requestsServed += 1
        parseAvailable()
    }

    private func deadlineExpired(_ id: Int) {
        let response = HTTPResponse.error(status: 503, code: "deadline_exceeded",
                                          message: "The request was not answered within \(config.requestDeadline) seconds.")
        complete(id, with: response, forceClose: true)
    }

    // MARK: - Writing

    private func send(_ response: HTTPResponse, isHead: Bool, keepAlive: Bool, http10Client: Bool) {
        if !keepAlive {
            closeAfterFlush = true
            stopParsing = true
            owesContinue = false
            pending.removeAll()
        }
        enqueue(ResponseWriter.serialize(response, forHeadRequest: isHead, keepAlive: keepAlive,
                                         http10Client: http10Client))
    }

    private func enqueue(_ bytes: [UInt8]) {
        outbound.append(contentsOf: bytes)
        flush()
    }

    /// Writes as much as the socket takes; the write source calls back when it can take more.
    private func flush() {
        guard lifecycle == .open else { return }
        var progressed = false
        while outboundOffset < outbound.count {
            let written = outbound.withUnsafeBytes { bytes in
                Socket.send(fd, bytes.baseAddress! + outboundOffset, bytes.count - outboundOffset)
            }
            if written > 0 {
                outboundOffset += written
                progressed = true
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                resumeWriting()
                if progressed || sendTimer == nil { restartSendTimer() }
                return
            } else {
                closeNow()
                return
            }
        }
        sendTimer?.cancel()
        sendTimer = nil
        outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
        outboundOffset = 0
        suspendWriting()
        if closeAfterFlush {
            beginLingeringClose()
        } else if draining && isIdle {
            closeNow()
        } else {
            updateReadTimer()
        }
    }

    private func restartSendTimer() {
        sendTimer?.cancel()
        let timer = DispatchWorkItem { [weak self] in self?.closeNow() }
        sendTimer = timer
        queue.asyncAfter(deadline: .now() + config.sendTimeout, execute: timer)
    }

    // MARK: - Closing

    private var isIdle: Bool {
        inFlight == nil && pending.isEmpty && outboundOffset == outbound.count && parser.progress == .betweenRequests
    }

    private func beginLingeringClose() {
        guard lifecycle == .open else { return }
        lifecycle = .lingering
        setReadPhase(.none)
        shutdown(fd, Int32(SHUT_WR))
        if peerClosedInput { closeNow(); return }
        resumeReading()
        let timer = DispatchWorkItem { [weak self] in self?.closeNow() }
        lingerTimer = timer
        queue.asyncAfter(deadline: .now() + config.lingerTimeout, execute: timer)
    }

    private func closeNow() {
        guard lifecycle != .closed else { return }
        lifecycle = .closed
        setReadPhase(.none)
        lingerTimer?.cancel()
        sendTimer?.cancel()
        sendTimer = nil
        inFlight?.deadline.cancel()
        inFlight = nil
        pending.removeAll()
        guard let readSource, let writeSource else {
            close(fd)
            onClosed(self)
            return
        }
        // A suspended source must be resumed before cancellation can complete.
        resumeReadingForCancel(readSource)
        if writeSuspended { writeSuspended = false; writeSource.resume() }
        readSource.cancel()
        writeSource.cancel()
    }

    private func resumeReadingForCancel(_ source: DispatchSourceRead) {
        if readSuspended {
            readSuspended = false
            source.resume()
        }
    }

    // MARK: - Timeouts

    /// Re-evaluates which read timeout applies. A timer restarts only when the phase changes,
    /// so a head trickling in byte by byte is still bounded by `headerReadTimeout` overall.
    private func updateReadTimer() {
        setReadPhase(currentReadPhase())
    }

    private func currentReadPhase() -> ReadPhase {
        guard lifecycle == .open, !stopParsing, !readSuspended else { return .none }
        let nothingOutstanding = inFlight == nil && pending.isEmpty
        switch parser.progress {
        case .betweenRequests:
            if !nothingOutstanding { return .none }
            // A new connection gets the header timeout from accept; later ones go idle.
            return requestsServed == 0 ? .head : .idle
        case .head:
            return .head
        case .body:
            return owesContinue ? .none : .body
        }
    }

    private func setReadPhase(_ phase: ReadPhase) {
        guard phase != readPhase else { return }
        readTimer?.cancel()
        readTimer = nil
        readPhase = phase
        let timeout: TimeInterval
        switch phase {
        case .none: return
        case .head: timeout = config.headerReadTimeout
        case .body: timeout = config.bodyReadTimeout
        case .idle: timeout = config.idleKeepAliveTimeout
        }
        let timer = DispatchWorkItem { [weak self] in self?.readTimerFired(phase) }
        readTimer = timer
        queue.asyncAfter(deadline: .now() + timeout, execute: timer)
    }

    private func readTimerFired(_ phase: ReadPhase) {
        guard lifecycle == .open, phase == readPhase else { return }
        readPhase = .none
        readTimer = nil
        switch phase {
        case .none:
            return
        case .idle:
            closeNow()
        case .head where bytesReceived == 0:
            closeNow()  // connected but never said anything: nothing to answer
        case .head, .body:
            let what = phase == .head ? "request head" : "request body"
            fail(with: .error(status: 408, code: "request_timeout", message: "The \(what) did not arrive in time."))
            dispatchNext()
        }
    }
}
