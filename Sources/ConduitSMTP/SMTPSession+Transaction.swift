import ConduitCore
public import NIOCore

extension SMTPSession {
    mutating func mail(_ argument: String) -> Action {
        guard phase != .connected else { return error(SMTPReply(503, "5.5.1", "Send EHLO or HELO first")) }
        guard phase != .transaction else { return error(SMTPReply(503, "5.5.1", "Nested MAIL command")) }
        let parsed: SMTPPathParser.Parsed
        do {
            parsed = try SMTPPathParser.parse(argument, prefix: "FROM:")
        } catch .badParameter {
            return error(SMTPReply(501, "5.5.4", "Syntax error in parameters"))
        } catch {
            return self.error(SMTPReply(501, "5.1.7", "Syntax: MAIL FROM:<address> [parameters]"))
        }
        var parameters = SMTPMailParameters()
        for (keyword, value) in parsed.parameters {
            switch (keyword, value) {
            case let ("SIZE", value?) where extended:
                guard value.utf8.count <= 18, let size = Int(value), size >= 0 else {
                    return error(SMTPReply(501, "5.5.4", "Syntax: SIZE=number"))
                }
                parameters.declaredSize = size
            case let ("BODY", value?) where extended:
                switch value.uppercased() {
                case "7BIT": parameters.eightBitMIME = false
                case "8BITMIME": parameters.eightBitMIME = true
                default: return error(SMTPReply(501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME"))
                }
            case ("SMTPUTF8", nil) where extended:
                parameters.smtpUTF8 = true
            case ("AUTH", _?) where extended:
                // RFC 4954 §5: the original submitter; accepted and not used.
                continue
            default:
                return error(SMTPReply(555, "5.5.4", "Unsupported MAIL parameter \(keyword)"))
            }
        }
        if let size = parameters.declaredSize, size > settings.maxMessageBytes {
            return .reply(SMTPReply(552, "5.3.4", "Message size exceeds fixed maximum message size of \(settings.maxMessageBytes) bytes"))
        }
        if let sender = parsed.mailbox, sender.isInternationalized, !parameters.smtpUTF8 {
            return error(SMTPReply(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"))
        }
        let context = SMTPTransactionContext(helo: clientName ?? "", tls: tls, authUser: authUser)
        phase = .awaiting(.mail(sender: parsed.mailbox, parameters: parameters))
        return .backend(.mail(parsed.mailbox, parameters, context))
    }

    mutating func rcpt(_ argument: String) -> Action {
        guard phase == .transaction else { return error(SMTPReply(503, "5.5.1", "Need MAIL command")) }
        let parsed: SMTPPathParser.Parsed
        do {
            parsed = try SMTPPathParser.parse(argument, prefix: "TO:")
        } catch .badParameter {
            return error(SMTPReply(501, "5.5.4", "Syntax error in parameters"))
        } catch {
            return self.error(SMTPReply(501, "5.1.3", "Syntax: RCPT TO:<address>"))
        }
        guard let recipient = parsed.mailbox else {
            return error(SMTPReply(501, "5.1.3", "Syntax: RCPT TO:<address>"))
        }
        if let (keyword, _) = parsed.parameters.first {
            return error(SMTPReply(555, "5.5.4", "Unsupported RCPT parameter \(keyword)"))
        }
        if recipient.isInternationalized, !parameters.smtpUTF8 {
            return error(SMTPReply(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"))
        }
        guard recipients.count < settings.maxRecipients else {
            return .reply(SMTPReply(452, "4.5.3", "Too many recipients"))
        }
        phase = .awaiting(.rcpt(recipient))
        return .backend(.rcpt(recipient))
    }

    mutating func data(_ argument: String) -> Action {
        guard argument.isEmpty else { return error(SMTPReply(501, "5.5.4", "Syntax: DATA")) }
        guard phase == .transaction else { return error(SMTPReply(503, "5.5.1", "Need MAIL command")) }
        guard !recipients.isEmpty else {
            if rejectedRecipients > 0 { return error(SMTPReply(554, "5.5.1", "No valid recipients")) }
            return error(SMTPReply(503, "5.5.1", "Need RCPT command"))
        }
        phase = .data
        messageID = settings.makeID()
        content = ByteBuffer()
        content.writeString(receivedHeader())
        contentBytes = 0
        oversize = false
        atLineStart = true
        return .reply(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"))
    }

    /// One frame of message text: dot-unstuffing (RFC 5321 §4.5.2), the
    /// size limit, and the end at a line holding only `.`.
    mutating func receiveText(_ input: SMTPInbound) -> Action {
        switch input {
        case var .line(bytes):
            if atLineStart, bytes.readableBytes == 1, bytes.readableBytesView.first == UInt8(ascii: ".") {
                return endOfData()
            }
            if atLineStart, bytes.readableBytesView.first == UInt8(ascii: ".") { bytes.moveReaderIndex(forwardBy: 1) }
            append(&bytes, lineEnds: true)
            atLineStart = true
        case var .fragment(bytes):
            if atLineStart, bytes.readableBytesView.first == UInt8(ascii: ".") { bytes.moveReaderIndex(forwardBy: 1) }
            append(&bytes, lineEnds: false)
            atLineStart = false
        }
        return .none
    }

    private mutating func append(_ bytes: inout ByteBuffer, lineEnds: Bool) {
        contentBytes += bytes.readableBytes + (lineEnds ? 2 : 0)
        guard !oversize else { return }
        if contentBytes > settings.maxMessageBytes {
            // Keep reading to the end (the client is still sending), but
            // stop holding the text.
            oversize = true
            content = ByteBuffer()
            return
        }
        content.writeBuffer(&bytes)
        if lineEnds { content.writeStaticString("\r\n") }
    }

    private mutating func endOfData() -> Action {
        if oversize {
            endTransaction()
            return .reply(SMTPReply(552, "5.3.4", "Message size exceeds fixed maximum message size of \(settings.maxMessageBytes) bytes"))
        }
        // What the driver has not taken yet (`takeText`); all of it when it takes nothing.
        let message = SMTPMessage(id: messageID, content: MessageContent(content), recipients: recipients)
        // The backend now holds the only reference to the text.
        content = ByteBuffer()
        phase = .awaiting(.data)
        return .backend(.data(message))
    }

    /// Whether the input is message text (between `354` and the final `.`).
    public var isReceivingText: Bool { phase == .data }

    /// Whether the message in progress went over the size limit: its text is dropped.
    public var isDroppingText: Bool { phase == .data && oversize }

    /// The queue id of the message being received.
    public var currentMessageID: String { messageID }

    /// Hands over the message text gathered since the last call (the
    /// driver streams it out, so the session never holds more than one
    /// batch of input).
    public mutating func takeText() -> ByteBuffer {
        defer { content = ByteBuffer() }
        return content
    }

    mutating func beginTransaction(sender: SMTPMailbox?, parameters: SMTPMailParameters) {
        phase = .transaction
        self.sender = sender
        self.parameters = parameters
        recipients = []
        rejectedRecipients = 0
    }

    /// Forgets the transaction (RSET, end of DATA, new greeting, TLS).
    mutating func endTransaction() {
        if phase == .transaction || phase == .data { phase = .ready }
        if case .awaiting(.data) = phase { phase = .ready }
        sender = nil
        parameters = SMTPMailParameters()
        recipients = []
        rejectedRecipients = 0
        content = ByteBuffer()
        contentBytes = 0
        oversize = false
    }

    /// The trace header this server prepends (RFC 5321 §4.4), with the
    /// protocol keyword of RFC 3848 / RFC 6531.
    func receivedHeader() -> String {
        var proto = parameters.smtpUTF8 ? "UTF8SMTP" : (extended ? "ESMTP" : "SMTP")
        if extended {
            if tls { proto += "S" }
            if authUser != nil { proto += "A" }
        }
        let ip = connection.remoteIP.contains(":") ? "IPv6:\(connection.remoteIP)" : connection.remoteIP
        var header = "Received: from \(clientName ?? "unknown") ([\(ip)])\r\n"
        header += "\tby \(settings.hostname) (Conduit) with \(proto) id \(messageID)"
        if recipients.count == 1 {
            header += "\r\n\tfor <\(recipients[0])>"
        }
        header += "; \(RFC5322Date.format(settings.now()))\r\n"
        return header
    }
}
