import ConduitCore
import ConduitStore
import Foundation

/// A record type with every kind of index the store supports.
struct Widget: StoreRecord, Equatable {
    static let tableName = "widgets"
    static let indexes: [RecordIndex<Widget>] = [
        RecordIndex(.byName, unique: true, key: { $0.name }),
        RecordIndex(.byOwner, unique: false, key: { $0.owner }),
        RecordIndex(.byTag, unique: false, keys: { $0.tags }),
    ]

    var id: String
    var name: String
    var owner: String
    var tags: [String] = []
    var payload: String = ""

    init(name: String, owner: String, tags: [String] = [], payload: String = "") {
        self.id = Identifier.generate().rawValue
        self.name = name
        self.owner = owner
        self.tags = tags
        self.payload = payload
    }
}

extension IndexName where Record == Widget {
    static let byName = IndexName("by_name")
    static let byOwner = IndexName("by_owner")
    static let byTag = IndexName("by_tag")
}

struct Gadget: StoreRecord, Equatable {
    static let tableName = "gadgets"
    var id: String
    var label: String
}

let testSchema = Schema(version: 1, records: [Widget.self, Gadget.self])

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/conduit-store-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
