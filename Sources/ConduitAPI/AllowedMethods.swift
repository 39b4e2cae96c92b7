import Foundation

/// The operations of the OpenAPI document (the one list of routes clients
/// see): method, path template split into segments, and the operation object.
struct OpenAPIOperations {
    struct Operation {
        var method: String
        var segments: [Substring]
        var object: [String: Any]
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    let all: [Operation]

    init(json: String) {
        let document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        let paths = document?["paths"] as? [String: Any] ?? [:]
        all = paths.flatMap { path, item in
            ((item as? [String: Any]) ?? [:]).compactMap { method, operation -> Operation? in
                guard Self.methods.contains(method) else { return nil }
                return Operation(method: method.uppercased(), segments: path.split(separator: "/"), object: operation as? [String: Any] ?? [:])
            }
        }
    }

    /// Whether the concrete `path` fits a template's `segments` (`{id}` fits any segment).
    static func matches(_ segments: [Substring], path: [Substring]) -> Bool {
        segments.count == path.count && zip(segments, path).allSatisfy { template, actual in template.hasPrefix("{") || template == actual }
    }
}

/// Which methods each documented path accepts, read from the OpenAPI
/// document, so an existing path asked with another method answers 405 with
/// `Allow` instead of 404.
struct AllowedMethods: Sendable {
    private let routes: [(segments: [Substring], method: String)]

    init(openAPI json: String) {
        routes = OpenAPIOperations(json: json).all.map { ($0.segments, $0.method) }
    }

    /// The methods of the documented path `path` matches, or nil when none does.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let matching = routes.filter { OpenAPIOperations.matches($0.segments, path: segments) }
        guard !matching.isEmpty else { return nil }
        return Array(Set(matching.map(\.method))).sorted()
    }
}
