/// Why a signature did not pass; becomes a `DKIMVerdict`.
struct DKIMFailure: Error, Equatable {
    let result: DKIMResult
    let reason: String

    static func fail(_ reason: String) -> DKIMFailure { DKIMFailure(result: .fail, reason: reason) }
    static func neutral(_ reason: String) -> DKIMFailure { DKIMFailure(result: .neutral, reason: reason) }
    static func permerror(_ reason: String) -> DKIMFailure { DKIMFailure(result: .permerror, reason: reason) }
    static func temperror(_ reason: String) -> DKIMFailure { DKIMFailure(result: .temperror, reason: reason) }
}
