/// The EDNS0 OPT pseudo-record (RFC 6891 §6.1.3).
public struct EDNS: Sendable, Equatable {
    /// Largest UDP reply the sender can take (the OPT record's class field).
    public var udpPayloadSize: UInt16
    public var version: UInt8
    /// DO: DNSSEC records wanted.
    public var dnssecOK: Bool
    /// The options, raw (code, length, data …).
    public var options: [UInt8]

    public init(udpPayloadSize: UInt16, version: UInt8 = 0, dnssecOK: Bool = false, options: [UInt8] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}
