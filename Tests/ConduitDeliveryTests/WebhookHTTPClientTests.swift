import ConduitCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import ConduitDelivery

/// The webhook client against a real HTTP/1.1 server on loopback (NIO,
/// in-process): the request on the wire, keep-alive reuse, the drain limit,
/// timeouts, the SSRF refusal, connect failures and TLS verification.
@Suite struct WebhookHTTPClientTests {
    /// How the server answers every request.
    enum Answer: Sendable {
        case status(Int, body: Int = 0, close: Bool = false)
        case never
    }

    struct Seen: Sendable {
        var head: HTTPRequestHead
        var body: [UInt8]
    }

    final class Server: Sendable {
        let channel: any Channel
        let box = Box()
        var seen: [Seen] { box.requests.withLock { $0 } }
        var connectionCount: Int { box.connections.load(ordering: .relaxed) }
        var port: Int { channel.localAddress!.port! }

        init(answer: Answer, tls: NIOSSLContext? = nil) async throws {
            let box = box
            channel = try await ServerBootstrap(group: WebhookHTTPClientTests.group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        box.connections.add(1, ordering: .relaxed)
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Responder(answer: answer, box: box))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func close() async { try? await channel.close() }
    }

    final class Box: Sendable {
        let requests = Mutex<[Seen]>([])
        let connections = Atomic<Int>(0)
    }

    final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answer: Answer
        let box: Box
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(answer: Answer, box: Box) { self.answer = answer; self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head): self.head = head; body = []
            case var .body(chunk): body += chunk.readBytes(length: chunk.readableBytes) ?? []
            case .end:
                box.requests.withLock { $0.append(Seen(head: head!, body: body)) }
                guard case let .status(code, size, close) = answer else { return }
                var headers = HTTPHeaders([("content-length", String(size)), ("retry-after", "7")])
                if close { headers.add(name: "connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers))), promise: nil)
                if size > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(repeating: 0x61, count: size)))), promise: nil) }
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if close { channel.close(promise: nil) } }
            }
        }
    }

    /// Event loops of these tests' own: other suites running in parallel
    /// may keep the shared singleton's loops busy for seconds, which would
    /// turn these tests' deadlines into a measure of the others.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// The deadline of every POST that is not about deadlines. Generous on
    /// purpose: the deadline spans the test task's own resumptions, and with
    /// the whole unit suite running on two cores the cooperative pool can
    /// leave a task waiting for seconds; that would fail a test of reuse or
    /// TLS for a reason it does not test. 60 s was not enough: on a machine
    /// busy with other jobs (the unit suite niced below them) a POST to this
    /// loopback server took over 60 s to complete in 3 of 19 runs.
    static let patience = Duration.seconds(300)

    static func client(allowPrivate: Bool = true, tls: TLSConfiguration = .makeClientConfiguration()) throws -> WebhookHTTPClient {
        WebhookHTTPClient(policy: EgressPolicy(allowPrivateTargets: allowPrivate), resolver: TargetResolver(resolver: TargetResolverTests.NoDNS()),
                          maxConnectionsPerHost: 4, logger: Logger(label: "test"), tlsConfiguration: tls, group: group)
    }

    static func request(_ url: String, body: [UInt8] = Array("{\"a\":1}".utf8)) -> WebhookRequest {
        WebhookRequest(url: url, headers: [("content-type", "application/json"), ("webhook-id", "msg_1")], body: .bytes(body))
    }

    @Test func postsTheRequestAndReusesTheConnection() async throws {
        let server = try await Server(answer: .status(204))
        let client = try Self.client()
        for _ in 0..<3 {
            let response = await client.post(Self.request("http://127.0.0.1:\(server.port)/in?x=1"), timeout: Self.patience)
            #expect(response.status == 204 && response.error == nil && response.retryAfter == "7", "\(response)")
        }
        let seen = server.seen
        #expect(seen.count == 3)
        #expect(seen.first?.head.method == .POST && seen.first?.head.uri == "/in?x=1")
        #expect(seen.first?.head.headers["host"] == ["127.0.0.1:\(server.port)"])
        #expect(seen.first?.head.headers["content-length"] == ["7"] && seen.first?.head.headers["webhook-id"] == ["msg_1"])
        #expect(seen.first?.body == Array("{\"a\":1}".utf8))
        #expect(server.connectionCount == 1)
        await client.shutdown()
        await server.close()
    }

    @Test func dropsAConnectionAfterALargeAnswerOrConnectionClose() async throws {
        for answer in [Answer.status(200, body: WebhookHTTPClient.maxDrainBytes + 1), .status(200, close: true)] {
            let server = try await Server(answer: answer)
            let client = try Self.client()
            for _ in 0..<2 {
                #expect(await client.post(Self.request("http://127.0.0.1:\(server.port)/"), timeout: Self.patience).status == 200)
            }
            #expect(server.connectionCount == 2)
            await client.shutdown()
            await server.close()
        }
    }

    @Test func timesOutWhenNoAnswerComes() async throws {
        let server = try await Server(answer: .never)
        let client = try Self.client()
        let response = await client.post(Self.request("http://127.0.0.1:\(server.port)/"), timeout: .milliseconds(300))
        #expect(response.status == nil && response.error == "timed out after 300 ms", "\(response)")
        await client.shutdown()
        await server.close()
    }

    @Test func refusesPrivateTargetsAndReportsRefusedConnects() async throws {
        let server = try await Server(answer: .status(200))
        let guarded = try Self.client(allowPrivate: false)
        let refused = await guarded.post(Self.request("http://127.0.0.1:\(server.port)/"), timeout: Self.patience)
        #expect(refused.status == nil && refused.error?.hasPrefix("target refused: 127.0.0.1 is a loopback address") == true)
        #expect(server.seen.isEmpty)
        let port = server.port
        await server.close()
        let open = try Self.client()
        let closed = await open.post(Self.request("http://127.0.0.1:\(port)/"), timeout: Self.patience)
        #expect(closed.error == "connection to 127.0.0.1:\(port) failed: 127.0.0.1 port \(port): connection refused")
        await guarded.shutdown()
        await open.shutdown()
    }

    @Test func trustRootsThatDoNotLoadFailHTTPSPostsNotTheClient() async throws {
        var broken = TLSConfiguration.makeClientConfiguration()
        broken.trustRoots = .file("/nonexistent/conduit-test-roots.pem")
        let client = try Self.client(tls: broken)  // made: the roots load at the first https POST
        let server = try await Server(answer: .status(200))
        let response = await client.post(Self.request("https://localhost:\(server.port)/"), timeout: Self.patience)
        #expect(response.status == nil && response.error?.hasPrefix("TLS is unavailable: the system's trust roots could not be loaded") == true, "\(response)")
        #expect(await client.post(Self.request("http://127.0.0.1:\(server.port)/"), timeout: Self.patience).status == 200)
        await client.shutdown()
        await server.close()
    }

    @Test func verifiesTheServerCertificateAgainstTheHostName() async throws {
        let (certificate, key) = try TestCertificate.make(commonName: "localhost")
        let serverTLS = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)))
        let server = try await Server(answer: .status(202), tls: serverTLS)
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([certificate])
        let client = try Self.client(tls: trusting)
        #expect(await client.post(Self.request("https://localhost:\(server.port)/"), timeout: Self.patience).status == 202)
        // Without that certificate as a root the chain is refused.
        let untrusting = try Self.client()
        let failed = await untrusting.post(Self.request("https://localhost:\(server.port)/"), timeout: Self.patience)
        #expect(failed.status == nil && failed.error == "TLS with the endpoint failed: CERTIFICATE_VERIFY_FAILED", "\(failed)")
        // A trusted certificate for another name is refused too.
        let (other, otherKey) = try TestCertificate.make(commonName: "other.example")
        let otherServer = try await Server(answer: .status(202), tls: try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: [.certificate(other)], privateKey: .privateKey(otherKey))))
        trusting.trustRoots = .certificates([other])
        let misnamed = try Self.client(tls: trusting)
        let mismatch = await misnamed.post(Self.request("https://localhost:\(otherServer.port)/"), timeout: Self.patience)
        #expect(mismatch.status == nil && mismatch.error?.hasPrefix("TLS with the endpoint failed") == true, "\(mismatch)")
        #expect(otherServer.seen.isEmpty)
        await misnamed.shutdown()
        await otherServer.close()
        await client.shutdown()
        await untrusting.shutdown()
        await server.close()
    }
}

/// A self-signed P-256 certificate for one DNS name, made with the
/// `openssl` command (a test package `make test` installs).
enum TestCertificate {
    static func make(commonName: String) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                             "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=DNS:\(commonName)", "-keyout", key, "-out", cert]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return (try NIOSSLCertificate.fromPEMFile(cert)[0], try NIOSSLPrivateKey(file: key, format: .pem))
    }
}
