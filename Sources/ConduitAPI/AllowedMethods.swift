import Foundation

/// Which methods each documented path accepts, read from the OpenAPI
/// document (the one list of routes clients see), so an existing path asked
/// with another method answers 405 with `Allow` instead of 404.
struct AllowedMethods: Sendable {
    private let routes: [(segments: [Substring], methods: [String])]

    init(openAPI json: String) {
        let document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        let paths = document?["paths"] as? [String: Any] ?? [:]
        routes = paths.map { path, item in
            let methods = ((item as? [String: Any]) ?? [:]).keys
                .filter { ["get", "put", "post", "delete", "patch", "head", "options"].contains($0) }
                .map { $0.uppercased() }
                .sorted()
            return (path.split(separator: "/"), methods)
        }
    }

    /// The methods of the documented path `path` matches, or nil when none does.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let matching = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, actual in template.hasPrefix("{") || template == actual }
        }
        guard !matching.isEmpty else { return nil }
        return Array(Set(matching.flatMap(\.methods))).sorted()
    }
}
