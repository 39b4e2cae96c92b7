import ConduitCore
import ConduitStore
import Foundation

/// A record type with every kind of index the store supports.
struct Widget: StoreRecord, Codable, Equatable {
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

    static let layoutVersion: UInt8 = 1

    func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(name)
        writer.write(owner)
        writer.write(tags)
        writer.write(payload)
    }

    static func decode(from reader: inout RecordReader) throws(StoreError) -> Widget {
        var widget = Widget(name: "", owner: "")
        widget.id = try reader.string()
        widget.name = try reader.string()
        widget.owner = try reader.string()
        widget.tags = try reader.strings()
        widget.payload = try reader.string()
        return widget
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

    static let layoutVersion: UInt8 = 1

    func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(label)
    }

    static func decode(from reader: inout RecordReader) throws(StoreError) -> Gadget {
        let id = try reader.string()
        return Gadget(id: id, label: try reader.string())
    }
}

/// A record with only an id, in a table of its own choosing: written over
/// a record of that table it leaves a value the table's type cannot decode.
protocol IDOnlyRecord: StoreRecord {
    init(id: String)
}

extension IDOnlyRecord {
    static var layoutVersion: UInt8 { 1 }

    func encode(to writer: inout RecordWriter) {
        writer.write(id)
    }

    static func decode(from reader: inout RecordReader) throws(StoreError) -> Self {
        Self(id: try reader.string())
    }
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
