import ArgumentParser
import ConduitApp
import ConduitCore
import ConduitStore
import Foundation
import Glibc

/// `conduit spool`: what the spool holds, for operators. Opens the store
/// read-only, so it runs beside `serve` without taking the writer lock.
struct SpoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Inspect spooled messages (read-only; safe while serve runs).",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List spooled messages, oldest first.",
            discussion: """
                One line per message, tab-separated: ID, RECEIVED_AT (RFC 3339 UTC), MAIL FROM \
                (<> for the null sender), SIZE in bytes, the recipients (comma-separated), and \
                each delivery as RCPT=STATE (pending, delivered, failed, dead). With --json, one \
                JSON object per line instead: the spooled message's envelope, SPF and DKIM results, \
                recipients (with webhook ids and tags) and deliveries.
                """
        )

        @OptionGroup var options: ConfigOption

        @Flag(help: "One JSON object per message (JSON Lines).")
        var json = false

        func run() throws {
            let store = try openSpool(options)
            defer { store.close() }
            var after: String?
            do {
                // Short read transactions, one page each: a long-lived snapshot
                // would keep the serving process from reusing freed pages.
                while true {
                    let page = try store.read { txn in
                        try txn.spooledMessages(after: after, limit: 500).map { ($0, try txn.deliveries(ofMessage: $0.id)) }
                    }
                    for (message, deliveries) in page {
                        print(json ? try SpoolCommand.jsonLine(message, deliveries) : Self.line(message, deliveries))
                    }
                    guard page.count == 500, let last = page.last else { break }
                    after = last.0.id
                }
            } catch StoreError.unknownDatabase {
                // A store written before the spool existed: nothing is spooled.
            } catch {
                printError("conduit: spool list failed: \(error)")
                throw ExitCode(ExitStatus.failure)
            }
        }

        static func line(_ message: SpooledMessage, _ deliveries: [Delivery]) -> String {
            [
                message.id,
                message.receivedAt.formatted(.iso8601),
                message.mailFrom.isEmpty ? "<>" : message.mailFrom,
                String(message.size),
                message.recipients.map(\.rcptTo).joined(separator: ","),
                deliveries.map { "\($0.rcptTo)=\($0.state.rawValue)" }.joined(separator: ","),
            ].joined(separator: "\t")
        }
    }

    private struct Listing: Encodable {
        var message: SpooledMessage
        var deliveries: [Delivery]
    }

    static func jsonLine(_ message: SpooledMessage, _ deliveries: [Delivery]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Listing(message: message, deliveries: deliveries)), as: UTF8.self)
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the raw message (RFC 5322 bytes as received) of a spooled message to stdout."
        )

        @OptionGroup var options: ConfigOption

        @Argument(help: "The message id, as `spool list` prints it.")
        var id: String

        func run() throws {
            let store = try openSpool(options)
            defer { store.close() }
            let body: [UInt8]?
            do {
                body = try store.spooledBody(id: id)
            } catch StoreError.unknownDatabase {
                body = nil
            } catch {
                printError("conduit: spool show failed: \(error)")
                throw ExitCode(ExitStatus.failure)
            }
            guard let body else {
                printError("conduit: no spooled message with id \(id)")
                throw ExitCode(ExitStatus.failure)
            }
            // Copied out of the store first: writing to a slow pipe must not hold a read snapshot open.
            var offset = 0
            while offset < body.count {
                let written = body[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else {
                    printError("conduit: writing to stdout failed: \(String(cString: strerror(errno)))")
                    throw ExitCode(ExitStatus.failure)
                }
                offset += written
            }
        }
    }
}

/// Loads the config and opens its store read-only, or prints why not and exits.
private func openSpool(_ options: ConfigOption) throws -> Store {
    let config = try options.load()
    do {
        return try Store(readOnlyAt: config.storage.path, schema: AppSchema.current)
    } catch {
        printError("conduit: cannot open the store: \(error)")
        throw ExitCode(ExitStatus.failure)
    }
}
