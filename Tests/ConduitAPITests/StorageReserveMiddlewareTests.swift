import ConduitStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ConduitAPI

/// `[storage] reserve_mb` on the API: below it, the operations that add data
/// answer 507 `storage_full`; reads, DELETEs and sign-in stay open
/// (docs/API.md, "General").
@Suite struct StorageReserveMiddlewareTests {
    @Test func theOpenAPIDocumentMarksExactlyTheOperationsThatAddData() {
        let operations = StoreGrowingOperations(openAPI: OpenAPIDocument.text)
        let marked: [(String, String)] = [
            ("POST", "/api/v1/accounts"), ("POST", "/api/v1/accounts/me/api-tokens"), ("POST", "/api/v1/domains"),
            ("POST", "/api/v1/smtp-policies"), ("PUT", "/api/v1/smtp-policies/pol_1"), ("POST", "/api/v1/webhooks"),
            ("PUT", "/api/v1/webhooks/wh_1"), ("POST", "/api/v1/webhooks/wh_1/logs/log_1/redeliver"),
            ("POST", "/api/v1/webhooks/wh_1/redeliver"), ("POST", "/api/v1/webhooks/wh_1/simulate"),
        ]
        for (method, path) in marked { #expect(operations.contains(method: method, path: path), "\(method) \(path)") }
        #expect(operations.count == marked.count)
        let open: [(String, String)] = [
            ("POST", "/api/v1/sessions"), ("POST", "/api/v1/sessions/2fa"), ("POST", "/api/v1/sessions/refresh"),
            ("PUT", "/api/v1/accounts/me/password"), ("POST", "/api/v1/accounts/me/2fa/setup"),
            ("POST", "/api/v1/domains/dom_1/verify"), ("POST", "/api/v1/webhooks/wh_1/rotate-secret"),
            ("DELETE", "/api/v1/webhooks/wh_1"), ("GET", "/api/v1/webhooks"), ("POST", "/api/v1/webhooks/wh_1/extra"),
        ]
        for (method, path) in open { #expect(!operations.contains(method: method, path: path), "\(method) \(path)") }
    }

    /// A real store whose room is below the reserve (a reserve larger than its map).
    @Test func belowTheReserveStoreGrowingWritesAre507AndTheRestPasses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-reserve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: directory, mapSizeBytes: 1 << 20, schema: Schema(version: 1, records: []))
        let full = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: 2 << 20))
        try await Self.app(headroom: full).test(.router) { client in
            try await client.execute(uri: "/api/v1/webhooks", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status.code == 507)
                let body = String(buffer: response.body)
                #expect(body.contains(#""code":"storage_full""#), "\(body)")
            }
            try await client.execute(uri: "/api/v1/webhooks/wh_1", method: .put) { #expect($0.status.code == 507) }
            try await client.execute(uri: "/api/v1/webhooks", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/webhooks/wh_1", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/sessions", method: .post) { #expect($0.status == .created) }
        }
        // With room above the reserve the same write goes through.
        let roomy = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: 64 << 10))
        try await Self.app(headroom: roomy).test(.router) { client in
            try await client.execute(uri: "/api/v1/webhooks", method: .post) { #expect($0.status == .created) }
        }
    }

    static func app(headroom: StorageHeadroom) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: StorageReserveMiddleware(headroom: headroom))
        router.post("/api/v1/webhooks") { _, _ in Response(status: .created) }
        router.put("/api/v1/webhooks/:id") { _, _ in Response(status: .ok) }
        router.get("/api/v1/webhooks") { _, _ in Response(status: .ok) }
        router.delete("/api/v1/webhooks/:id") { _, _ in Response(status: .noContent) }
        router.post("/api/v1/sessions") { _, _ in Response(status: .created) }
        return Application(router: router)
    }
}
