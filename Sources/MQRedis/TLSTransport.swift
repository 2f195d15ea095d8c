import CTLSShim
import Glibc

/// How to check the server and what to present to it (`rediss://`,
/// `--tls`, `--cacert` and friends).
public struct TLSOptions: Equatable, Sendable {
    /// PEM bundle of trusted CAs; with neither this nor `caDirectory` the
    /// system's CAs are trusted.
    public var caFile: String?
    public var caDirectory: String?
    /// Client certificate and key, for servers that ask (mutual TLS).
    public var certificate: String?
    public var key: String?
    /// The name sent with SNI and checked against the certificate, when
    /// it differs from the host connected to.
    public var serverName: String?
    /// No certificate or host name check at all.
    public var insecure: Bool

    public init(caFile: String? = nil, caDirectory: String? = nil, certificate: String? = nil, key: String? = nil,
                serverName: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.certificate = certificate
        self.key = key
        self.serverName = serverName
        self.insecure = insecure
    }
}

/// TLS (OpenSSL, through a small C shim) over a TCP socket. The handshake
/// verifies the certificate chain and the host name unless `insecure`;
/// a failed handshake is an error, never a fall back to plaintext.
public final class TLSTransport: RedisTransport {
    private let socket: SocketTransport
    private var session: OpaquePointer?
    private let endpoint: RedisEndpoint
    public var timeout: Double

    public init(endpoint: RedisEndpoint, timeout: Double, options: TLSOptions) throws {
        guard case .tcp(let host, _) = endpoint else {
            throw RedisClientError.tls(endpoint: endpoint.description, reason: "TLS needs a TCP address, not a Unix socket")
        }
        self.endpoint = endpoint
        self.timeout = timeout
        // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a server
        // that hangs up mid-write must give an error, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        socket = try SocketTransport(endpoint: endpoint, timeout: timeout)
        let name = options.serverName ?? host
        let strings: [UnsafeMutablePointer<CChar>?] = [options.caFile, options.caDirectory, options.certificate, options.key, name]
            .map { $0.flatMap { strdup($0) } }
        defer { strings.forEach { free($0) } }
        var cOptions = mq_tls_options(
            ca_file: strings[0], ca_dir: strings[1], cert_file: strings[2], key_file: strings[3],
            server_name: strings[4], verify_host: strings[4], insecure: options.insecure ? 1 : 0)
        var error = [CChar](repeating: 0, count: 512)
        session = mq_tls_connect(socket.descriptor, &cOptions, Self.milliseconds(timeout), &error, error.count)
        guard session != nil else {
            socket.close()
            throw RedisClientError.tls(endpoint: endpoint.description, reason: Self.message(error))
        }
    }

    deinit {
        close()
    }

    public func close() {
        if let session {
            mq_tls_free(session)
            self.session = nil
        }
        socket.close()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let session else { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
        var error = [CChar](repeating: 0, count: 512)
        let written = mq_tls_write(session, bytes.baseAddress, bytes.count, Self.milliseconds(timeout), &error, error.count)
        try check(written, error: error, operation: "writing to")
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let session else { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
        var error = [CChar](repeating: 0, count: 512)
        let count = mq_tls_read(session, buffer.baseAddress, buffer.count, Self.milliseconds(timeout), &error, error.count)
        try check(count, error: error, operation: "waiting for a reply from")
        if count == 0 { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
        return count
    }

    private func check(_ result: Int, error: [CChar], operation: String) throws {
        if result >= 0 { return }
        if result == MQ_TLS_TIMEOUT {
            throw RedisClientError.timeout(endpoint: endpoint.description, operation: operation, seconds: timeout)
        }
        throw RedisClientError.tls(endpoint: endpoint.description, reason: Self.message(error))
    }

    /// The shim's NUL-terminated message in `error`, as text (what
    /// `String(cString:)` on the array gave, without its deprecated overload).
    private static func message(_ error: [CChar]) -> String {
        String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func milliseconds(_ seconds: Double) -> Int32 {
        Int32(min(seconds * 1000, Double(Int32.max)).rounded(.up))
    }
}
