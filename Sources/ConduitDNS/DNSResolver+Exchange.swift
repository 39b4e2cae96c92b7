import Logging
import NIOCore

extension DNSResolver {
    enum Exchange {
        /// A NOERROR or NXDOMAIN reply that answers the question.
        case reply(DNSMessage)
        case failure(String)
    }

    /// Asks each nameserver in turn, `attempts` rounds, until one gives a
    /// NOERROR or NXDOMAIN reply. A truncated UDP reply is asked again over
    /// TCP of the same server; SERVFAIL, REFUSED and other codes move on to
    /// the next server; so does a TCP reply that says it is truncated again.
    /// Every query has a fresh random ID.
    func exchange(_ name: DNSName, type: DNSRecordType) async -> Exchange {
        guard !nameservers.isEmpty else { return .failure("no nameservers configured") }
        var generator = SystemRandomNumberGenerator()
        var lastFailure = "no reply"
        for _ in 0..<attempts {
            for nameserver in nameservers {
                let query = DNSMessage.query(id: UInt16.random(in: .min ... .max, using: &generator), name: name.description, type: type.rawValue)
                switch await exchange(query, with: nameserver) {
                case let .reply(reply): return .reply(reply)
                case let .failure(reason):
                    lastFailure = "\(nameserver): \(reason)"
                    logger.trace("DNS query failed", metadata: [
                        "dns.name": "\(name)", "dns.type": "\(type)", "dns.server": "\(nameserver)", "dns.reason": "\(reason)",
                    ])
                }
            }
        }
        return .failure(lastFailure)
    }

    private func exchange(_ query: DNSMessage, with nameserver: Nameserver) async -> Exchange {
        let address: SocketAddress
        let bytes: [UInt8]
        do {
            let host = nameserver.host.hasPrefix("[") && nameserver.host.hasSuffix("]") ? String(nameserver.host.dropFirst().dropLast()) : nameserver.host
            address = try SocketAddress(ipAddress: host, port: nameserver.port)
            bytes = try query.encode()
        } catch {
            return .failure("\(error)")
        }
        let matches: @Sendable (DNSMessage) -> Bool = { Self.answers($0, query) }
        do {
            var reply = try await transport.udp(bytes, to: address, timeout: timeout, matches: matches)
            if reply.isTruncated {
                reply = try await transport.tcp(bytes, to: address, timeout: timeout, matches: matches)
                // TC=1 over TCP has no meaning (TCP carries the whole message): the
                // records are not there, and taking its empty sections as
                // NODATA would turn a broken server into "no SPF record".
                guard !reply.isTruncated else { return .failure("truncated reply over TCP") }
            }
            switch reply.rcode {
            case DNSMessage.noError, DNSMessage.nameError:
                guard reply.questions.count == 1 else { return .failure("reply without the question") }
                return .reply(reply)
            case DNSMessage.serverFailure: return .failure("SERVFAIL")
            case DNSMessage.refused: return .failure("REFUSED")
            default: return .failure("RCODE \(reply.rcode)")
            }
        } catch let error as DNSDecodeError {
            return .failure("malformed reply (\(error))")
        } catch {
            return .failure("\(error)")
        }
    }

    /// Whether `reply` answers `query`: a response with the query's ID and
    /// its question (name compared case-insensitively). A truncated or error
    /// reply may omit the question — some servers do — since all we take
    /// from those is "ask over TCP" or "ask the next server".
    static func answers(_ reply: DNSMessage, _ query: DNSMessage) -> Bool {
        guard reply.isResponse, reply.id == query.id, let question = query.questions.first else { return false }
        if reply.questions.isEmpty {
            return reply.isTruncated || (reply.rcode != DNSMessage.noError && reply.rcode != DNSMessage.nameError)
        }
        guard reply.questions.count == 1, let echoed = reply.questions.first,
              echoed.type == question.type, echoed.questionClass == question.questionClass,
              let echoedName = DNSName(echoed.name), let askedName = DNSName(question.name)
        else { return false }
        return echoedName.equalsIgnoringCase(askedName)
    }
}
