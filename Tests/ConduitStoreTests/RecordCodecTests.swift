import ConduitCore
import Foundation
import Testing
@testable import ConduitStore

/// The binary record format (format 2): every record type reads back equal,
/// edge values included; damaged bytes throw `StoreError.corrupted` and never
/// trap; a value of an older layout still decodes; format-1 JSON values are
/// converted only by `convertLegacyRecords`.
@Suite struct RecordCodecTests {
    static func encode(_ record: any StoreRecord) -> [UInt8] {
        RecordCodec.encode(record)
    }

    /// `bytes` decoded as the type of `sample`.
    static func decode<R: StoreRecord>(like sample: R, _ bytes: [UInt8]) throws(StoreError) -> any StoreRecord {
        try RecordCodec.decode(R.self, from: bytes)
    }

    static func reread<R: StoreRecord>(_ record: R, in txn: ReadTransaction) throws -> (any StoreRecord)? {
        try txn.get(R.self, id: record.id)
    }

    static func isCorrupted(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch StoreError.corrupted {
            return true
        } catch {
            return false
        }
    }

    // MARK: Tests

    @Test func everyRecordTypeReadsBackEqual() throws {
        var count = 0
        try Self.forEachSample { record, equals in
            let bytes = Self.encode(record)
            #expect(bytes[0] == 2)
            #expect(bytes[1] == type(of: record).layoutVersion)
            let decoded = try Self.decode(like: record, bytes)
            #expect(equals(decoded), "\(type(of: record)) \(record.id)")
            // Equal records encode to equal bytes (maps are written in key order).
            #expect(Self.encode(decoded) == bytes)
            count += 1
        }
        #expect(count >= 24)
    }

    @Test func everyStoredPropertyIsInItsLayout() throws {
        let message = Self.messages()[0]
        let values: [Any] = [
            Self.accounts()[1], Self.sessions()[0], Self.apiTokens()[0], Self.challenges()[0], Self.resets()[0], Self.failures()[0],
            Self.domains()[0], Self.webhooks()[0], Self.policies()[0], message, Self.deliveries()[0], Self.logs()[0],
            try #require(Self.accounts()[1].totp), Self.policies()[0].credentials[0], try #require(message.spf), message.dkim[0],
            message.recipients[0], try #require(message.dmarc), try #require(message.arc),
        ]
        for value in values {
            let name = String(describing: type(of: value))
            let properties = Mirror(reflecting: value).children.compactMap(\.label)
            #expect(properties == Self.layoutFields[name], "\(name): a property changed; update its layout in Records/*Layouts.swift")
        }
        #expect(Set(values.map { String(describing: type(of: $0)) }) == Set(Self.layoutFields.keys))
    }

    @Test func everyRecordTypeRoundTripsThroughAStore() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let types: [any StoreRecord.Type] = [Account.self, Session.self, APIToken.self, LoginChallenge.self, PasswordReset.self,
                                             SignInFailures.self, Domain.self, Webhook.self, SMTPSecurityPolicy.self,
                                             SpooledMessage.self, Delivery.self, DeliveryLog.self]
        let store = try Store(path: directory.path, mapSizeBytes: 64 << 20, schema: Schema(version: 1, records: types))
        defer { store.close() }
        var written: [(any StoreRecord, (any StoreRecord) -> Bool)] = []
        try Self.forEachSample { record, equals in written.append((record, equals)) }
        // Samples with an empty indexed field are refused (index keys are
        // never empty); every type has samples that are stored.
        var stored: [(any StoreRecord, (any StoreRecord) -> Bool)] = []
        try store.write { txn in
            for (record, equals) in written where (try? txn.insert(record)) != nil { stored.append((record, equals)) }
        }
        let storedTables = Set(stored.map { type(of: $0.0).tableName })
        #expect(types.filter { !storedTables.contains($0.tableName) }.map { $0.tableName } == [])
        try store.read { txn in
            for (record, equals) in stored {
                let read = try Self.reread(record, in: txn)
                #expect(read.map(equals) == true, "\(type(of: record)) \(record.id)")
            }
        }
    }

    @Test func everyTruncationAndTrailingByteIsCorruption() throws {
        try Self.forEachSample { record, _ in
            let bytes = Self.encode(record)
            for length in 0..<bytes.count {
                #expect(Self.isCorrupted { _ = try Self.decode(like: record, Array(bytes.prefix(length))) }, "\(type(of: record)) cut at \(length)")
            }
            #expect(Self.isCorrupted { _ = try Self.decode(like: record, bytes + [0]) })
        }
    }

    @Test func damagedBytesThrowAndNeverTrap() throws {
        // A fixed-seed generator: the same damage on every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var decodedAnyway = 0
        var refused = 0
        try Self.forEachSample { record, _ in
            let bytes = Self.encode(record)
            for _ in 0..<300 {
                var damaged = bytes
                for _ in 0...(next() % 3) {
                    damaged[Int(next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: next())
                }
                do {
                    _ = try Self.decode(like: record, damaged)
                    decodedAnyway += 1
                } catch StoreError.corrupted {
                    refused += 1
                }
            }
        }
        #expect(refused > 0)
        #expect(refused + decodedAnyway >= 24 * 300)
    }

    @Test func hostileLengthsCountsAndValuesAreCorruption() throws {
        func value(_ build: (inout RecordWriter) -> Void) -> [UInt8] {
            var writer = RecordWriter(format: 2, layout: 1)
            build(&writer)
            return writer.bytes
        }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("format byte only", [2]),
            ("JSON format", [1] + Array(#"{"id":"x","label":"y"}"#.utf8)),
            ("unknown format", [9, 1]),
            ("layout 0", [2, 0]),
            ("newer layout", [2, 2] + value { $0.write("x"); $0.write("y") }.dropFirst(2)),
            ("string longer than the value", value { $0.write(UInt64(1) << 40) }),
            ("length near UInt64.max", value { $0.write(UInt64.max) }),
            ("varint of eleven bytes", [2, 1] + [UInt8](repeating: 0xFF, count: 10) + [0x01]),
            ("invalid UTF-8", value { $0.write(UInt64(2)); $0.writeByte(0xC3); $0.writeByte(0x28); $0.write("y") }),
        ]
        for (name, bytes) in cases {
            #expect(Self.isCorrupted { _ = try RecordCodec.decode(Gadget.self, from: bytes) }, "\(name)")
        }
        // Field-level damage in real record types.
        let delivery = Self.deliveries()[1]
        var badState = RecordCodec.encode(delivery)
        // Back from the end: redeliveryOf (absent), updatedAt, createdAt, leasedUntil (absent), nextAttemptAt,
        // attempts (Int.max: 10 bytes).
        let stateOffset = badState.count - 1 - 8 - 8 - 1 - 8 - 10 - 1
        #expect(badState[stateOffset] == 0)
        badState[stateOffset] = 9
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(Delivery.self, from: badState) })
        var badFlag = RecordCodec.encode(Self.logs()[1])
        badFlag[badFlag.count - 1] = 2
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(DeliveryLog.self, from: badFlag) })
        var notFinite = RecordCodec.encode(Self.resets()[0])
        notFinite.replaceSubrange(notFinite.count - 8..<notFinite.count, with: withUnsafeBytes(of: Double.nan.bitPattern.littleEndian, Array.init))
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(PasswordReset.self, from: notFinite) })
        let repeatedKey = value { w in
            for field in ["w", "a", "x@y", "u", "s"] { w.write(field) }
            w.write(UInt64(2)); w.write("K"); w.write("1"); w.write("K"); w.write("2")
            w.write(nil as String?); w.write(0); w.write(true); w.write(nil as String?); w.write(Self.epoch); w.write(Self.epoch)
        }
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(Webhook.self, from: repeatedKey) })
        let countTooLarge = value { w in w.write("f"); w.write(UInt64(3)); w.write(Self.epoch) }
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(SignInFailures.self, from: countTooLarge) })
    }

    /// A record type that gained a field in layout 2: values written with
    /// layout 1 decode with the field's default.
    struct Note: StoreRecord, Equatable {
        static let tableName = "notes"
        static let layoutVersion: UInt8 = 2
        var id: String
        var text: String
        var pinned = false

        func encode(to writer: inout RecordWriter) {
            writer.write(id)
            writer.write(text)
            writer.write(pinned)
        }

        static func decode(from reader: inout RecordReader) throws(StoreError) -> Note {
            let id = try reader.string()
            let text = try reader.string()
            // Layout 2 added `pinned`.
            let pinned = reader.layout >= 2 ? try reader.bool() : false
            return Note(id: id, text: text, pinned: pinned)
        }
    }

    @Test func anOlderLayoutStillDecodes() throws {
        var layoutOne = RecordWriter(format: 2, layout: 1)
        layoutOne.write("n1")
        layoutOne.write("written by an older build")
        #expect(try RecordCodec.decode(Note.self, from: layoutOne.bytes) == Note(id: "n1", text: "written by an older build"))
        // Layout 1 has no `pinned`: a layout-1 value with a third field is damaged.
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(Note.self, from: layoutOne.bytes + [1]) })

        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try Store(path: directory.path, mapSizeBytes: 16 << 20, schema: Schema(version: 1, records: [Note.self]))
        defer { store.close() }
        _ = try store.write { txn in try txn.raw.put(Note.tableName, key: Array("n1".utf8), value: layoutOne.bytes) }
        var note = try #require(try store.read { try $0.get(Note.self, id: "n1") })
        #expect(note == Note(id: "n1", text: "written by an older build", pinned: false))
        note.pinned = true
        try store.write { try $0.update(note) }
        #expect(try store.read { try $0.get(Note.self, id: "n1") } == note)
        #expect(try store.read { try $0.raw.get(Note.tableName, key: Array("n1".utf8)) }?.prefix(2) == [2, 2])
    }

    /// Schema 6 wrote webhooks and deliveries at layout 2; values a schema-5
    /// build wrote (layout 1) read with the new fields' defaults.
    @Test func layoutOneWebhooksAndDeliveriesReadWithDefaults() throws {
        var webhook = Self.webhooks()[0]
        var layoutOne = RecordWriter(format: 2, layout: 1)
        for field in [webhook.id, webhook.accountID, webhook.address, webhook.targetURL, webhook.secret] { layoutOne.write(field) }
        layoutOne.write(webhook.customHeaders)
        layoutOne.write(webhook.payloadTemplate)
        layoutOne.write(webhook.rateLimit)
        layoutOne.write(webhook.active)
        layoutOne.write(webhook.smtpSecurityPolicyID)
        layoutOne.write(webhook.createdAt)
        layoutOne.write(webhook.updatedAt)
        webhook.payloadFormat = .json
        webhook.maxPayloadBytes = nil
        webhook.previousSecret = nil
        webhook.previousSecretExpiresAt = nil
        #expect(try RecordCodec.decode(Webhook.self, from: layoutOne.bytes) == webhook)

        var delivery = Self.deliveries()[0]
        var deliveryOne = RecordWriter(format: 2, layout: 1)
        for field in [delivery.id, delivery.messageID, delivery.webhookID, delivery.accountID, delivery.rcptTo] { deliveryOne.write(field) }
        deliveryOne.write(delivery.tag)
        deliveryOne.writeByte(0)
        deliveryOne.write(delivery.attempts)
        deliveryOne.write(delivery.nextAttemptAt)
        deliveryOne.write(delivery.leasedUntil)
        deliveryOne.write(delivery.createdAt)
        deliveryOne.write(delivery.updatedAt)
        delivery.redeliveryOf = nil
        #expect(try RecordCodec.decode(Delivery.self, from: deliveryOne.bytes) == delivery)
    }

    /// Schema 6 also wrote spooled messages and policies at layout 2; values
    /// written at layout 1 read as "not evaluated" and enforcement `off`.
    @Test func layoutOneMessagesAndPoliciesReadWithDefaults() throws {
        var message = Self.messages()[0]
        var messageOne = RecordWriter(format: 2, layout: 1)
        for field in [message.id] { messageOne.write(field) }
        messageOne.write(message.receivedAt)
        for field in [message.mailFrom, message.remoteIP, message.helo] { messageOne.write(field) }
        messageOne.write(message.tls)
        messageOne.write(message.authUser)
        messageOne.write(message.spf)
        messageOne.write(message.dkim)
        messageOne.write(message.size)
        messageOne.write(message.recipients)
        message.dmarc = nil
        message.arc = nil
        message.authservID = nil
        #expect(try RecordCodec.decode(SpooledMessage.self, from: messageOne.bytes) == message)

        var policy = Self.policies()[0]
        var policyOne = RecordWriter(format: 2, layout: 1)
        for field in [policy.id, policy.accountID, policy.name] { policyOne.write(field) }
        for list in [policy.allowedSourceIPs, policy.allowedSPFDomains, policy.allowedDKIMDomains] { policyOne.write(list) }
        for flag in [policy.requireSPF, policy.requireDKIM, policy.requireSMTPAuth] { policyOne.write(flag) }
        policyOne.write(policy.credentials)
        policyOne.write(policy.createdAt)
        policyOne.write(policy.updatedAt)
        policy.dmarcEnforcement = .off
        #expect(try RecordCodec.decode(SMTPSecurityPolicy.self, from: policyOne.bytes) == policy)
        // An unknown enforcement byte is damage, not a default.
        var bad = RecordCodec.encode(Self.policies()[0])
        bad[bad.count - 1] = 7
        #expect(Self.isCorrupted { _ = try RecordCodec.decode(SMTPSecurityPolicy.self, from: bad) })
    }

    @Test func jsonRecordsAreReadOnlyByTheConversion() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try Store(path: directory.path, mapSizeBytes: 64 << 20, schema: testSchema)
        defer { store.close() }
        let widgets = (0..<1_300).map { Widget(name: "w\($0)", owner: $0 % 2 == 0 ? "even" : "odd", tags: ["t\($0 % 7)"], payload: "ü\($0)") }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        // Format-1 values as schema 3 wrote them, beside format-2 values, with their index entries.
        try store.write { txn in
            for (n, widget) in widgets.enumerated() {
                try txn.insert(widget)
                if n % 3 != 0 {
                    try txn.raw.put(Widget.tableName, key: Array(widget.id.utf8), value: [1] + Array(try encoder.encode(widget)))
                }
            }
        }
        let legacy = widgets.indices.filter { $0 % 3 != 0 }.count
        #expect(Self.isCorrupted { _ = try store.read { try $0.get(Widget.self, id: widgets[1].id) } })

        #expect(try store.write { try $0.convertLegacyRecords([Widget.self, Gadget.self]) } == legacy)
        #expect(try store.write { try $0.convertLegacyRecords([Widget.self, Gadget.self]) } == 0)
        let read = try store.read { try $0.scan(Widget.self, newestFirst: false) }
        #expect(read == widgets)
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "odd") }.count == 650)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "w1299") } == widgets[1_299])
        try store.read { txn in
            try txn.raw.scan(Widget.tableName) { _, value in
                #expect(value.first == 2)
                return true
            }
        }
    }

    @Test func aDamagedJSONRecordFailsTheConversion() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try Store(path: directory.path, mapSizeBytes: 16 << 20, schema: testSchema)
        defer { store.close() }
        _ = try store.write { txn in try txn.raw.put(Gadget.tableName, key: Array("g".utf8), value: [1] + Array(#"{"id":"g""#.utf8)) }
        #expect(Self.isCorrupted { _ = try store.write { try $0.convertLegacyRecords([Gadget.self]) } })
    }
}
