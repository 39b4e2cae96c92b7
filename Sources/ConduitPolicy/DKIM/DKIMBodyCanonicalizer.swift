/// Body canonicalization (RFC 6376 §3.4.3, §3.4.4) as a stream: bytes go
/// in as they arrive, in chunks split anywhere (between CR and LF, inside a
/// run of WSP), and the canonical body comes out with nothing held back but
/// what the next bytes decide — a CR whose LF may follow, a WSP run, and a
/// count of line ends that may turn out to be trailing empty lines. Gives
/// exactly `DKIMCanonicalization.body` of the whole body, with bare LF read
/// as CRLF (as `DKIMMessage` does).
struct DKIMBodyCanonicalizer {
    let canonicalization: DKIMCanonicalization

    // Line ends: a bare LF becomes CRLF.
    private var previousWasCR = false
    // Relaxed WSP handling (§3.4.4 a, b): a WSP run not yet written, and a
    // CR (with whether a WSP run came before it) waiting for its LF.
    private var pendingSpace = false
    private var heldCR = false
    private var spaceBeforeHeldCR = false
    // Trailing empty lines (§3.4.3): CRLFs not yet written, a CR that may
    // start one, and whether anything else has been written.
    private var heldLineEnds = 0
    private var tailCR = false
    private var wroteText = false

    init(_ canonicalization: DKIMCanonicalization) {
        self.canonicalization = canonicalization
    }

    /// Appends the canonical form of `input` (so far as it is decided) to `out`.
    mutating func update(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        for byte in input {
            if byte == DKIMASCII.lf, !previousWasCR { relax(DKIMASCII.cr, &out) }
            previousWasCR = byte == DKIMASCII.cr
            relax(byte, &out)
        }
    }

    /// Appends what is still held and the final line end.
    mutating func finish(into out: inout [UInt8]) {
        if canonicalization == .relaxed {
            if heldCR {
                if spaceBeforeHeldCR { trail(DKIMASCII.space, &out) }
                trail(DKIMASCII.cr, &out)
                heldCR = false
            }
            // WSP at the very end of an unterminated last line: one SP, as dkimpy.
            if pendingSpace { trail(DKIMASCII.space, &out) }
            pendingSpace = false
        }
        if tailCR {
            flushLineEnds(&out)
            out.append(DKIMASCII.cr)
            tailCR = false
            wroteText = true
        }
        // Trailing empty lines go; the body ends in one CRLF. An empty
        // relaxed body stays empty (erratum 1384); an empty simple body is one CRLF.
        heldLineEnds = 0
        if wroteText || canonicalization == .simple { out.append(contentsOf: DKIMASCII.crlf) }
    }

    /// Stage one, relaxed only: WSP runs become one SP, WSP before a line end goes.
    private mutating func relax(_ byte: UInt8, _ out: inout [UInt8]) {
        guard canonicalization == .relaxed else { return trail(byte, &out) }
        if heldCR {
            heldCR = false
            if byte == DKIMASCII.lf {
                trail(DKIMASCII.cr, &out)
                trail(DKIMASCII.lf, &out)
                return
            }
            if spaceBeforeHeldCR { trail(DKIMASCII.space, &out) }
            trail(DKIMASCII.cr, &out)
        }
        if DKIMASCII.isWSP(byte) {
            pendingSpace = true
        } else if byte == DKIMASCII.cr {
            heldCR = true
            spaceBeforeHeldCR = pendingSpace
            pendingSpace = false
        } else {
            if pendingSpace { trail(DKIMASCII.space, &out) }
            pendingSpace = false
            trail(byte, &out)
        }
    }

    /// Stage two: CRLFs are held until something other than a line end follows.
    private mutating func trail(_ byte: UInt8, _ out: inout [UInt8]) {
        if tailCR {
            tailCR = false
            if byte == DKIMASCII.lf {
                heldLineEnds += 1
                return
            }
            flushLineEnds(&out)
            out.append(DKIMASCII.cr)
            wroteText = true
        }
        if byte == DKIMASCII.cr {
            tailCR = true
            return
        }
        flushLineEnds(&out)
        out.append(byte)
        wroteText = true
    }

    private mutating func flushLineEnds(_ out: inout [UInt8]) {
        while heldLineEnds > 0 {
            out.append(contentsOf: DKIMASCII.crlf)
            heldLineEnds -= 1
        }
        wroteText = true
    }
}
