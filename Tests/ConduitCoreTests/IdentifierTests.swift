import ConduitCore
import Testing

@Suite struct IdentifierTests {
    @Test func formatIsURLSafeAndFixedLength() {
        let id = Identifier.generate()
        #expect(id.rawValue.count == 26)
        #expect(id.rawValue.allSatisfy { "0123456789abcdefghjkmnpqrstvwxyz".contains($0) })
        #expect(Identifier(id.rawValue) == id)
    }

    @Test func idsSortInCreationOrderEvenWithinOneMillisecond() {
        let ids = (0..<1000).map { _ in Identifier.generate(nowMillis: 1_700_000_000_000) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        let later = Identifier.generate(nowMillis: 1_700_000_000_001)
        #expect(ids.last! < later)
    }

    @Test func idsEncodeTheirTimestamp() {
        let earlier = Identifier.generate(nowMillis: 1_000)
        let later = Identifier.generate(nowMillis: 281_474_976_710_000)
        #expect(earlier < later)
        #expect(later.rawValue.first! <= "7")
    }

    @Test(arguments: ["", "short", "01arz3ndektsv4rrffq69g5fa", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "81arz3ndektsv4rrffq69g5fav", "01arz3ndektsv4rrffq69g5fa!", "../../etc/passwdxxxxxxxxxx"])
    func rejectsForeignStrings(_ text: String) {
        #expect(Identifier(text) == nil)
    }
}
