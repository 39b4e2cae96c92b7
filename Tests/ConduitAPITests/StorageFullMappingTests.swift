import ConduitAPI
import ConduitIdentity
import Hummingbird
import Testing

/// One answer to a full store on the API: 507 `storage_full`, the same for
/// every service's refusal (`APIError.storageFull()`).
@Suite struct StorageFullMappingTests {
    @Test func aFullStoreIs507StorageFull() {
        let error = APIError.storageFull()
        #expect(error.status == .init(code: 507, reasonPhrase: "Insufficient Storage"))
        #expect(error.code == "storage_full")
        #expect(APIError(IdentityError.storageFull) == error)
    }
}
