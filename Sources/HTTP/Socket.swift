import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from setting up the listening socket.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    case invalidAddress(String)
    case invalidPort(Int)
    case systemCall(String, errno: Int32)
    case alreadyStarted

    public var description: String {
        switch self {
        case .invalidAddress(let host): return "'\(host)' is not an IPv4 address."
        case .invalidPort(let port): return "Port \(port) is out of range."
        case .systemCall(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        case .alreadyStarted: return "The server was already started."
        }
    }
}

/// Thin wrappers over the POSIX socket calls the server needs.
enum Socket {
    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)  // no SIGPIPE when the peer has gone
    #else
    private static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0  // Darwin: SO_NOSIGPIPE is set per socket instead
    #endif

    /// A non-blocking IPv4 listening socket bound to host:port, and the port actually bound.
    static func listen(host: String, port: Int, backlog: Int32) throws -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw HTTPServerError.invalidPort(port) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HTTPServerError.invalidAddress(host)
        }

        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw HTTPServerError.systemCall("socket", errno: errno) }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            try configureDescriptor(fd)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw HTTPServerError.systemCall("bind", errno: errno) }
            guard systemListen(fd, backlog) == 0 else { throw HTTPServerError.systemCall("listen", errno: errno) }
            return (fd, try localPort(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    /// Accepts one pending connection: its descriptor (non-blocking, close-on-exec, no Nagle)
    /// and the peer as "ip:port". nil when none is pending or the call failed.
    static func accept(_ listener: Int32) -> (fd: Int32, peer: String)? {
        while true {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemAccept(listener, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return nil
            }
            do {
                try configureDescriptor(fd)
                try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            } catch {
                close(fd)
                continue
            }
            return (fd, describe(address))
        }
    }

    /// `send(2)` without SIGPIPE.
    static func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        systemSend(fd, bytes, count, sendFlags)
    }

    /// Non-blocking + close-on-exec (+ no SIGPIPE on Darwin).
    private static func configureDescriptor(_ fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL, 0)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw HTTPServerError.systemCall("fcntl(O_NONBLOCK)", errno: errno)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #if canImport(Darwin)
        try setOption(fd, SOL_SOCKET, SO_NOSIGPIPE, 1)
        #endif
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) throws {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw HTTPServerError.systemCall("setsockopt", errno: errno)
        }
    }

    private static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw HTTPServerError.systemCall("getsockname", errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func describe(_ address: sockaddr_in) -> String {
        var address = address
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
        let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(ip):\(UInt16(bigEndian: address.sin_port))"
    }
}

// The enum's own `listen`/`accept` shadow the C functions inside it.
private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }
private func systemAccept(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
    accept(fd, address, length)
}
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}
