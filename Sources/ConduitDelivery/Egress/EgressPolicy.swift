public import ConduitCore

/// Which addresses a webhook POST may connect to (docs/DELIVERY.md, SSRF guard): only global
/// ones, unless `[delivery] allow_private_targets` lets loopback, private,
/// link-local and the rest through (tests, LAN deployments).
public struct EgressPolicy: Sendable, Equatable {
    public var allowPrivateTargets: Bool

    public init(allowPrivateTargets: Bool) {
        self.allowPrivateTargets = allowPrivateTargets
    }

    /// `nil` when `address` may be connected to; otherwise why not.
    public func refusal(of address: IPAddress) -> String? {
        let scope = address.scope
        if scope == .global || allowPrivateTargets { return nil }
        return "\(address) is a \(scope.phrase) address (set [delivery] allow_private_targets to allow it)"
    }

    /// The addresses that may be connected to, in the order given, or the
    /// reason none may (the first refusal) when there are none.
    public func admit(_ addresses: [IPAddress]) -> Result<[IPAddress], EgressRefusal> {
        let allowed = addresses.filter { refusal(of: $0) == nil }
        if !allowed.isEmpty { return .success(allowed) }
        let reason = addresses.first.flatMap(refusal(of:)) ?? "no address to connect to"
        return .failure(EgressRefusal(reason: "target refused: \(reason)"))
    }
}

/// Why a webhook target was not connected to.
public struct EgressRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension AddressScope {
    fileprivate var phrase: String {
        switch self {
        case .global: "global"
        case .unspecified: "unspecified"
        case .loopback: "loopback"
        case .private: "private"
        case .linkLocal: "link-local"
        case .multicast: "multicast"
        case .reserved: "reserved"
        }
    }
}
