import ConduitCore
import ConduitDNS
@testable import ConduitPolicy
import Foundation
import Logging
import Synchronization

/// Answers TXT lookups for DKIM tests from a table (NXDOMAIN otherwise); counts queries.
final class DKIMFakeResolver: DNSResolving {
    let answers = Mutex<[String: DNSLookupResult]>([:])
    let queries = Mutex<[String]>([])

    /// Publishes one TXT record made of `strings` at `name`.
    func publish(_ name: String, _ strings: String...) {
        set(name, .records([DNSRecord(name: name, type: 16, ttl: 60, data: .txt(strings.map { Array($0.utf8) }))]))
    }

    func set(_ name: String, _ result: DNSLookupResult) { answers.withLock { $0[name.lowercased()] = result } }

    /// Every name looked up so far, in order.
    var recordedQueries: [String] { queries.withLock { $0 } }

    func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
        queries.withLock { $0.append(name) }
        return answers.withLock { $0[name.lowercased()] } ?? .nxdomain
    }
}

/// Runs the `openssl` command line tool: keys and signatures made by an
/// independent program, so the verifier is not checked against itself.
enum OpenSSLTool {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `openssl arguments`; returns stdout.
    @discardableResult
    static func run(_ arguments: [String]) throws -> [UInt8] {
        let result = try ChildProcess.run("openssl", arguments)
        guard result.status == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(String(decoding: result.stderr, as: UTF8.self))")
        }
        return result.stdout
    }

    /// A fresh temporary file path.
    static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("conduit-dkim-\(UUID().uuidString)\(suffix)").path
    }
}

/// Runs a program with its output in temporary files, not pipes:
/// Foundation's pipe reads trap on EINTR, which concurrent tests' child
/// processes (SIGCHLD) make likely.
enum ChildProcess {
    /// Runs `program` (looked up in PATH) to completion.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        let out = OpenSSLTool.temporaryPath(".out"), err = OpenSSLTool.temporaryPath(".err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        try Data().write(to: URL(fileURLWithPath: out))
        try Data().write(to: URL(fileURLWithPath: err))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](try Data(contentsOf: URL(fileURLWithPath: out))), [UInt8](try Data(contentsOf: URL(fileURLWithPath: err))))
    }
}

/// A private key in a PEM file plus what a DKIM key record publishes.
struct DKIMTestKey: Sendable {
    enum Kind: Sendable { case rsa(bits: Int), ed25519, ec }

    let pemPath: String
    /// DER SubjectPublicKeyInfo.
    let publicKeyInfo: [UInt8]
    let isEd25519: Bool

    /// A fresh key in a temporary file (`remove()` it when done).
    init(_ kind: Kind) throws {
        try self.init(kind, at: OpenSSLTool.temporaryPath(".pem"))
    }

    /// The key kept at `<tmp>/conduit-dkim-test-keys/<name>.pem`, made on
    /// first use, so test runs do not leave a key file each.
    static func reused(_ kind: Kind, name: String) throws -> DKIMTestKey {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-dkim-test-keys")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("\(name).pem").path
        if !FileManager.default.fileExists(atPath: path) {
            let fresh = try DKIMTestKey(kind)
            // Another test process may win the race; its key is as good.
            try? FileManager.default.moveItem(atPath: fresh.pemPath, toPath: path)
            fresh.remove()
        }
        return try DKIMTestKey(kind, at: path, generate: false)
    }

    private init(_ kind: Kind, at path: String, generate: Bool = true) throws {
        pemPath = path
        if generate {
            switch kind {
            case let .rsa(bits): try OpenSSLTool.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)", "-out", path])
            case .ed25519: try OpenSSLTool.run(["genpkey", "-algorithm", "ED25519", "-out", path])
            case .ec: try OpenSSLTool.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
            }
        }
        publicKeyInfo = try OpenSSLTool.run(["pkey", "-in", path, "-pubout", "-outform", "DER"])
        if case .ed25519 = kind { isEd25519 = true } else { isEd25519 = false }
    }

    /// Deletes the PEM file.
    func remove() {
        try? FileManager.default.removeItem(atPath: pemPath)
    }

    /// What `p=` holds: the SubjectPublicKeyInfo for RSA, the 32 raw bytes for Ed25519 (RFC 8463 §4).
    var p: String {
        Data(isEd25519 ? Array(publicKeyInfo.suffix(32)) : publicKeyInfo).base64EncodedString()
    }

    /// The DKIM key record for this key.
    var record: String { "v=DKIM1; k=\(isEd25519 ? "ed25519" : "rsa"); p=\(p)" }

    /// Signs `data`: RSA PKCS #1 v1.5 over `digest` (`sha256`, `sha1`), or Ed25519 over `data` itself.
    func sign(_ data: [UInt8], digest: String = "sha256") throws -> [UInt8] {
        let input = OpenSSLTool.temporaryPath(".in")
        try Data(data).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        if isEd25519 {
            return try OpenSSLTool.run(["pkeyutl", "-sign", "-inkey", pemPath, "-rawin", "-in", input])
        }
        return try OpenSSLTool.run(["dgst", "-\(digest)", "-sign", pemPath, input])
    }
}

/// Signs messages the way RFC 6376 §5 says, with the canonicalization under
/// test but its own header selection and tag writing, so tests can make
/// signatures a real signer would refuse to (expired, odd `l=`, …).
enum DKIMTestSigner {
    /// `message` (CRLF) with a DKIM-Signature on top. `tags` go between
    /// `s=` and `h=` (e.g. `"t=1; x=2; "`); `bodyLength` adds `l=`.
    static func sign(
        _ message: String, key: DKIMTestKey, algorithm: String? = nil, domain: String = "example.com",
        selector: String = "sel", canonicalization: String = "relaxed/relaxed", headers: String = "from:to:subject",
        tags: String = "", bodyLength: Int? = nil
    ) throws -> String {
        let algorithm = algorithm ?? (key.isEd25519 ? "ed25519-sha256" : "rsa-sha256")
        let sha1 = algorithm == "rsa-sha1"
        // A lone `c=relaxed` means relaxed/simple (§3.5).
        let canons = (canonicalization + (canonicalization.contains("/") ? "" : "/simple"))
            .split(separator: "/").map { DKIMCanonicalization(rawValue: String($0))! }
        let parsed = DKIMMessage(Array(message.utf8))
        var body = canons[1].body(parsed.body)
        if let bodyLength { body = Array(body.prefix(bodyLength)) }
        let bodyHash = Data(sha1 ? MessageDigest.sha1.hash(body) : MessageDigest.sha256.hash(body)).base64EncodedString()
        let length = bodyLength.map { "l=\($0); " } ?? ""
        let value = " v=1; a=\(algorithm); c=\(canonicalization); d=\(domain); s=\(selector);\r\n \(tags)\(length)h=\(headers);\r\n bh=\(bodyHash);\r\n b="
        var data: [UInt8] = []
        var used: [String: Int] = [:]
        for name in headers.lowercased().split(separator: ":").map(String.init) {
            let matching = parsed.fields.filter { $0.name == name }
            let taken = used[name, default: 0]
            used[name] = taken + 1
            guard taken < matching.count else { continue }
            let field = matching[matching.count - 1 - taken]
            data += canons[0].header(field.raw, colon: field.colon)
        }
        let own = Array("DKIM-Signature:\(value)".utf8)
        data += canons[0].header(own[...], colon: 14).dropLast(2)
        let toSign = key.isEd25519 ? MessageDigest.sha256.hash(data) : data
        let signature = try key.sign(toSign, digest: sha1 ? "sha1" : "sha256")
        return "DKIM-Signature:\(value)\(Data(signature).base64EncodedString())\r\n" + message
    }
}

/// The verifier over a fake resolver.
func dkimVerify(_ message: String, _ resolver: DKIMFakeResolver, now: Date = Date()) async -> [DKIMVerdict] {
    await DKIMVerifier(resolver: resolver, logger: Logger(label: "dkim-test")).verify(message: Array(message.utf8), now: now)
}

/// A plain message with CRLF line ends.
let dkimSampleMessage = [
    "From: Alice <alice@example.com>",
    "To: Bob <bob@example.net>",
    "Subject: Lunch   on\tFriday?",
    "Date: Tue, 01 Apr 2025 10:00:00 +0000",
    "",
    "Hello Bob,",
    "",
    "shall we meet  at noon?  ",
    "",
    "",
].joined(separator: "\r\n")
