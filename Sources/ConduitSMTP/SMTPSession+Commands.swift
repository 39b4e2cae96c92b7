extension SMTPSession {
    /// Dispatches one command outside DATA and AUTH exchanges.
    mutating func handle(_ command: SMTPCommand) -> Action {
        switch command.verb {
        case "EHLO", "HELO":
            return greet(command)
        case "MAIL":
            return mail(command.argument)
        case "RCPT":
            return rcpt(command.argument)
        case "DATA":
            return data(command.argument)
        case "RSET":
            guard command.argument.isEmpty else { return error(SMTPReply(501, "5.5.4", "Syntax: RSET")) }
            endTransaction()
            return .reply(.ok("Reset state"))
        case "NOOP":
            return .reply(.ok())
        case "QUIT":
            phase = .closed
            return .replyAndClose(SMTPReply(221, "2.0.0", "\(settings.hostname) closing connection"))
        case "STARTTLS":
            return startTLS(command.argument)
        case "AUTH":
            return auth(command.argument)
        case "VRFY":
            // RFC 5321 §3.5.3: 252 neither confirms nor denies (no address harvesting).
            return .reply(SMTPReply(252, "2.5.2", "Cannot VRFY user, but will accept message for valid recipients"))
        case "HELP":
            return .reply(SMTPReply(214, "2.0.0", "See RFC 5321"))
        case "EXPN", "BDAT", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML":
            return error(SMTPReply(502, "5.5.1", "Command not implemented"))
        default:
            return error(SMTPReply(500, "5.5.2", "Syntax error, command unrecognized"))
        }
    }

    private mutating func greet(_ command: SMTPCommand) -> Action {
        let ehlo = command.verb == "EHLO"
        guard let name = Self.clientDomain(command.argument) else {
            return error(SMTPReply(501, "5.5.4", "Syntax: \(command.verb) domain-or-address-literal"))
        }
        // A second greeting resets any transaction (RFC 5321 §4.1.4).
        endTransaction()
        clientName = name
        extended = ehlo
        phase = .ready
        guard ehlo else { return .reply(SMTPReply(250, nil, "\(settings.hostname) greets \(name)")) }
        var lines = [
            "\(settings.hostname) greets \(name)",
            "PIPELINING",
            "SIZE \(settings.maxMessageBytes)",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
        ]
        if settings.tlsAvailable, !tls { lines.append("STARTTLS") }
        if authOffered { lines.append("AUTH PLAIN LOGIN") }
        return .reply(SMTPReply(250, nil, lines))
    }

    private mutating func startTLS(_ argument: String) -> Action {
        guard settings.tlsAvailable else { return error(SMTPReply(502, "5.5.1", "Command not implemented")) }
        guard argument.isEmpty else { return error(SMTPReply(501, "5.5.4", "Syntax: STARTTLS")) }
        guard !tls else { return error(SMTPReply(503, "5.5.1", "TLS already active")) }
        guard phase != .transaction else { return error(SMTPReply(503, "5.5.1", "STARTTLS not permitted during a mail transaction")) }
        phase = .startingTLS
        return .startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS"))
    }

    /// The EHLO/HELO argument if it is one token of printable ASCII (a domain
    /// or an address literal, RFC 5321 §4.1.1.1); `nil` otherwise.
    static func clientDomain(_ argument: String) -> String? {
        var name = Substring(argument)
        while name.last == " " { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 255,
              name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return String(name)
    }
}

extension SMTPReply {
    static func ok(_ text: String = "OK") -> SMTPReply { SMTPReply(250, "2.0.0", text) }
}
