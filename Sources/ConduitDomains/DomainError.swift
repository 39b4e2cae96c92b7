/// Why a domain operation was refused. The API maps each to a status and code.
public enum DomainError: Error, Equatable, Sendable {
    case invalidName(String)
    case alreadyClaimed
    case tooManyDomains(limit: Int)
    case notFound
    case publicDomain
    case recordNotFound
    case recordMismatch
    case temporaryFailure(String)
    case storageFull
}
