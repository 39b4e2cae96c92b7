/// Builds packets byte by byte, so decoder tests state exactly what is on the wire.
enum Wire {
    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value >> 16)) + u16(UInt16(value & 0xFFFF)) }

    /// Uncompressed labels of a dotted name, root included.
    static func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static func header(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar)
    }

    static func question(_ name: String, type: UInt16) -> [UInt8] {
        self.name(name) + u16(type) + u16(1)
    }

    /// A resource record; `owner` is raw so tests can use pointers.
    static func rr(_ owner: [UInt8], type: UInt16, ttl: UInt32 = 300, rdata: [UInt8]) -> [UInt8] {
        owner + u16(type) + u16(1) + u32(ttl) + u16(UInt16(rdata.count)) + rdata
    }

    static func pointer(_ offset: Int) -> [UInt8] { [0xC0 | UInt8(offset >> 8), UInt8(offset & 0xFF)] }

    /// The OPT pseudo-record advertising `size`.
    static func opt(size: UInt16 = 1232) -> [UInt8] { [0] + u16(41) + u16(size) + [0, 0] + u16(0) + u16(0) }

    /// `character-string`s of a TXT RDATA.
    static func strings(_ values: [String]) -> [UInt8] {
        values.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }
}

/// A seeded generator, so the fuzz tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
