public import ConduitStore
public import Hummingbird

/// Keeps `[storage] reserve_mb` for delivery: while the store has less free
/// than the reserve (`StorageHeadroom`, the rule that makes SMTP answer
/// `452 4.3.1`), the operations that add data answer 507 `storage_full`
/// before anything else is looked at. Without it a tenant's API writes (64 KiB
/// templates, 1,000 webhooks, open sign-up) could take the map to its last
/// page, and mail already accepted could no longer record its outcomes and
/// leave the spool (docs/RELIABILITY.md, "Disk full and LMDB map full").
/// Which operations add data is marked in the OpenAPI document
/// (`x-conduit-store-growing`); reads, DELETEs, sign-in, password and 2FA
/// changes stay open, so a tenant can always get in and free room.
public struct StorageReserveMiddleware<Context: RequestContext>: RouterMiddleware {
    let headroom: StorageHeadroom
    let operations: StoreGrowingOperations
    /// What one request is taken to add: the API's body limit (64 KiB). A
    /// bulk redelivery adds more (up to 10,000 small delivery records), but
    /// it is bounded on its own (docs/SECURITY.md).
    static var maximumAddedBytes: Int { APIJSON.maxBodyBytes }

    public init(headroom: StorageHeadroom) {
        self.headroom = headroom
        operations = StoreGrowingOperations(openAPI: OpenAPIDocument.text)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Debited with the most a request can add (its body, at most 64 KiB,
        // plus its records), so requests within one refresh cannot together
        // carry the store past the reserve.
        if operations.contains(method: request.method.rawValue, path: request.uri.path),
           !headroom.admit(adding: StorageHeadroom.mapBytes(forValueOf: Self.maximumAddedBytes)) {
            throw APIError.storageFull()
        }
        return try await next(request, context)
    }
}

/// The operations the OpenAPI document marks `x-conduit-store-growing`, as
/// (method, path template) pairs matched like `AllowedMethods` matches paths.
struct StoreGrowingOperations: Sendable {
    private let routes: [(method: String, segments: [Substring])]

    init(openAPI json: String) {
        routes = OpenAPIOperations(json: json).all.compactMap { operation in
            operation.object["x-conduit-store-growing"] as? Bool == true ? (operation.method, operation.segments) : nil
        }
    }

    /// How many operations are marked.
    var count: Int { routes.count }

    func contains(method: String, path: String) -> Bool {
        // Cheap refusal first: reads and DELETEs are never held back.
        guard method == "POST" || method == "PUT" || method == "PATCH" else { return false }
        let segments = path.split(separator: "/")
        return routes.contains { $0.method == method && OpenAPIOperations.matches($0.segments, path: segments) }
    }
}
