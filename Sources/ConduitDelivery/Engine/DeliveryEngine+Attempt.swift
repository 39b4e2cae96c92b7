import ConduitCore
import ConduitMIME
import ConduitStore
import Foundation
import Logging
import Metrics
import Synchronization

extension DeliveryEngine {
    /// One POST of a leased delivery and its recorded outcome. `nil` when
    /// the attempt was cancelled by shutdown before an answer came (the
    /// lease stays, and the next start re-offers it).
    func attempt(_ claim: DeliveryClaim) async -> AttemptReport? {
        let attemptedAt = Date()
        let delivery = claim.delivery
        let prepared: (request: WebhookRequest, smtpMessageID: String?)
        do {
            prepared = try await prepare(claim)
        } catch {
            // Nothing was sent: a permanent failure with the reason.
            let response = WebhookResponse(status: nil, error: "\(error)", durationMs: 0)
            let outcome = AttemptOutcome.failed(status: nil, reason: "\(error)", deactivate: false)
            await record(claim, outcome: outcome, response: response, smtpMessageID: nil, attemptedAt: attemptedAt)
            return AttemptReport(outcome: outcome, response: response)
        }
        // Shutdown came while the payload was being built: send nothing.
        if Task.isCancelled { return nil }
        let response = await client.post(prepared.request, timeout: settings.timeout)
        if response.status == nil, Task.isCancelled { return nil }
        metrics.duration.recordMilliseconds(response.durationMs)
        inflow.posted(claim.webhook.id, durationMs: response.durationMs)
        let outcome: AttemptOutcome = if let status = response.status {
            AttemptOutcome.classify(status: status, retryAfter: response.retryAfter, now: Date().timeIntervalSince1970)
        } else {
            .retry(status: nil, reason: response.error ?? "no response", retryAfter: nil)
        }
        let final = await record(claim, outcome: outcome, response: response, smtpMessageID: prepared.smtpMessageID, attemptedAt: attemptedAt)
        // The delivery log has a row for every attempt; the process log says
        // at info only what an operator acts on (retries and failures), and a
        // delivered attempt at debug: a line per POST at info was ~2 % of the
        // process's CPU under load (docs/DELIVERY.md, "Delivery log").
        logger.log(level: final == .delivered ? .debug : .info, "delivery attempt", metadata: [
            "delivery": "\(delivery.id)", "message": "\(delivery.messageID)", "webhook": "\(claim.webhook.id)",
            "attempt": "\(delivery.attempts)", "status": "\(response.status.map(String.init) ?? "-")",
            "outcome": "\(final)", "ms": "\(response.durationMs)", "error": "\(response.error ?? "")",
        ])
        return AttemptReport(outcome: outcome, response: response)
    }

    /// Reads and parses the message, lays out or renders the body of the
    /// webhook's format, signs it. Parsing, rendering and signing run on the
    /// render threads.
    private func prepare(_ claim: DeliveryClaim) async throws -> (request: WebhookRequest, smtpMessageID: String?) {
        let message = claim.message
        let context = PayloadContext(
            message: message, webhookID: claim.webhook.id, rcptTo: claim.delivery.rcptTo, tag: claim.delivery.tag,
            redeliveryOf: claim.delivery.redeliveryOf
        )
        let store = store
        let timestamp = Int(Date().timeIntervalSince1970)
        let format = claim.webhook.payloadFormat
        // The API keeps templates to `json` webhooks; the format decides.
        if format == .json, let template = claim.webhook.payloadTemplate, !template.isEmpty {
            // A template sees the whole payload: it is rendered in memory,
            // within its RenderBudget (docs/PAYLOAD.md, "Templates").
            let parsed = try await PayloadRenderer.renderThreads.run { () throws -> ParsedMessage? in
                try store.withSpooledBody(id: message.id) { MIMEParser.parse(buffer: $0) }
            }
            guard let parsed else { throw EgressRefusal(reason: "the message body is missing from the spool") }
            // A template past its render budget throws: a permanent failure below.
            let body = try await PayloadRenderer.render(message: parsed, context: context, template: template)
            let request = try WebhookRequest.signed(
                webhook: claim.webhook, messageID: claim.delivery.id, timestamp: timestamp, body: body, userAgent: settings.userAgent,
                conduitHeaders: WebhookRequest.redeliveryHeaders(claim.delivery.redeliveryOf)
            )
            return (request, parsed.messageID)
        }
        // The payload (or for `raw` the message) is streamed (docs/DELIVERY.md,
        // "Memory"): pass 1 here signs and measures it, pass 2 is the POST
        // itself. A body of one chunk is kept from pass 1 and sent as bytes:
        // no second pass.
        let keys = try WebhookRequest.signingKeys(of: claim.webhook, timestamp: timestamp)
        let deliveryID = claim.delivery.id
        // A json/json_raw body over max_payload_bytes is cut, links minted on
        // this thread (docs/DELIVERY.md, "Payloads sized to the receiver");
        // one that cannot be cut throws `PayloadTooLarge`, a permanent failure.
        let sizing = format == .raw ? nil : claim.webhook.maxPayloadBytes.map { PayloadSizing(limit: $0, linkBase: settings.linkBase) }
        let prepared = try await PayloadRenderer.renderThreads.run { () throws -> (WebhookRequest.Body, String?, String)? in
            guard let (stream, messageIDHeader) = try PayloadStream.open(
                store: store, messageID: message.id, context: context, format: format, sizing: sizing
            ) else { return nil }
            let (signature, length, whole) = try stream.sign(keys: keys, id: deliveryID, timestamp: timestamp)
            let body: WebhookRequest.Body = whole.map { .bytes($0) } ?? .stream(stream, length: length)
            return (body, messageIDHeader, signature)
        }
        guard let (body, messageIDHeader, signature) = prepared else {
            throw EgressRefusal(reason: "the message body is missing from the spool")
        }
        let request = WebhookRequest(
            webhook: claim.webhook, messageID: deliveryID, timestamp: timestamp, signature: signature,
            body: body, userAgent: settings.userAgent, contentType: format.contentType,
            conduitHeaders: (format == .raw ? EnvelopeHeaders.headers(of: message, rcptTo: claim.delivery.rcptTo) : [])
                + WebhookRequest.redeliveryHeaders(claim.delivery.redeliveryOf)
        )
        return (request, messageIDHeader)
    }

    /// Writes the outcome; returns the delivery's resulting state.
    @discardableResult
    func record(
        _ claim: DeliveryClaim, outcome: AttemptOutcome, response: WebhookResponse, smtpMessageID: String?, attemptedAt: Date
    ) async -> Delivery.State {
        let entry = OutcomeWriter.Entry(
            claim: claim, outcome: outcome, response: response, smtpMessageID: smtpMessageID, attemptedAt: attemptedAt
        )
        do {
            return recorded(claim, state: try await outcomes.record(entry))
        } catch let error as StoreError where error.isCapacity {
            if let state = await recordInTwoParts(entry, error: error) { return recorded(claim, state: state) }
            // Counted like any failed attempt: the delivery stays pending
            // and its next POST backs off.
            metrics.retried.increment()
            await backOffUnrecorded(claim, error: error)
            return .pending
        } catch {
            // The lease stays: the delivery comes due again when it expires.
            logger.error("recording a delivery outcome failed", metadata: ["delivery": "\(claim.delivery.id)", "error": "\(error)"])
            return .pending
        }
    }

    /// Counts an outcome that is on disk; returns its state.
    private func recorded(_ claim: DeliveryClaim, state: Delivery.State) -> Delivery.State {
        unrecorded.withLock { if !$0.isEmpty { $0.release(claim.delivery.id) } }
        switch state {
        case .delivered: metrics.delivered.increment()
        case .pending: metrics.retried.increment()
        case .failed: metrics.failed.increment()
        case .dead: metrics.dead.increment()
        }
        return state
    }

    /// A final outcome (2xx, or a permanent failure) the store had no room
    /// for in one transaction, recorded in two (`OutcomeWriter.recordInTwoParts`):
    /// otherwise the delivery would stay pending and the webhook get the
    /// same message again at every lease end while the store is full
    /// (docs/RELIABILITY.md, "Disk full and LMDB map full"). `nil` for a
    /// retry, or when even the state does not fit.
    private func recordInTwoParts(_ entry: OutcomeWriter.Entry, error: StoreError) async -> Delivery.State? {
        if case .retry = entry.outcome { return nil }
        guard let (state, logged) = try? await outcomes.recordInTwoParts(entry) else { return nil }
        logger.warning("delivery outcome recorded in two transactions: the store is full", metadata: [
            "delivery": "\(entry.claim.delivery.id)", "state": "\(state)", "log_row_written": "\(logged)", "error": "\(error)",
        ])
        return state
    }

    /// The store had no room for the outcome: hold the delivery back as a
    /// failed attempt would be (`RetrySchedule` after `attempts`, which the
    /// lease already raised on disk), never sooner than its lease ends, in
    /// memory and — when that small update fits — in the lease on disk, so a
    /// full store does not turn every lease end into another POST.
    func backOffUnrecorded(_ claim: DeliveryClaim, error: StoreError) async {
        let now = Date()
        let delay = settings.schedule.delay(afterAttempts: claim.delivery.attempts, random: Double.random(in: 0..<1))
        let retryAt = max(claim.delivery.leasedUntil ?? now, now.addingTimeInterval(delay.seconds))
        let remembered = unrecorded.withLock { $0.hold(claim.delivery.id, until: retryAt, now: now) }
        let store = store
        let onDisk = await Result {
            try await io.run { try store.write { txn in try DeliveryRecorder.extendLease(claim, until: retryAt, now: now, in: txn) } }
        }
        logger.error("recording a delivery outcome failed: the store is full", metadata: [
            "delivery": "\(claim.delivery.id)", "attempt": "\(claim.delivery.attempts)", "error": "\(error)",
            "next_attempt_in_s": "\(Int(retryAt.timeIntervalSince(now).rounded()))",
            "held_in_memory": "\(remembered)", "lease_extended": "\((try? onDisk.get()) ?? false)",
        ])
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
