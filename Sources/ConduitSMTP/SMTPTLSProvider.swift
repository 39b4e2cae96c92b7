import Logging
public import NIOSSL
import Synchronization

/// The server's TLS context for STARTTLS, loaded from PEM files and
/// reloadable (SIGHUP) so a renewed certificate takes effect without a
/// restart. Connections already in TLS keep the context they started with.
public final class SMTPTLSProvider: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let context: Mutex<NIOSSLContext>

    /// Loads the certificate chain and key; throws when either is unusable,
    /// so a bad configuration fails at startup, not at the first STARTTLS.
    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.context = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The context new handshakes use.
    public var current: NIOSSLContext { context.withLock { $0 } }

    /// Re-reads the files. On failure the previous context stays in use and
    /// the error is thrown for the caller to log.
    public func reload() throws {
        let fresh = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        context.withLock { $0 = fresh }
    }

    private static func load(certificatePath: String, keyPath: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        guard !chain.isEmpty else { throw SMTPTLSError.noCertificate(path: certificatePath) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}

public enum SMTPTLSError: Error, CustomStringConvertible {
    case noCertificate(path: String)

    public var description: String {
        switch self {
        case let .noCertificate(path): "no certificate in \(path)"
        }
    }
}
