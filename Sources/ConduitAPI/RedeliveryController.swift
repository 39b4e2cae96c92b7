import ConduitCore
import ConduitIdentity
import ConduitWebhooks
import FoundationEssentials
import Hummingbird

/// `POST /api/v1/webhooks/{id}/logs/{logId}/redeliver` and
/// `POST /api/v1/webhooks/{id}/redeliver` (docs/API.md, "Redelivery").
struct RedeliveryController {
    let redeliveries: RedeliveryService

    /// `RedeliverRequest`: every field optional; `null` is the default.
    struct BulkRequest: Decodable {
        let status: String?
        let since: String?
        let until: String?

        enum CodingKeys: String, CodingKey { case status, since, until }
    }

    /// `RedeliveryResponse`.
    struct OneResponse: Encodable {
        let delivery_id: String
        let redelivery_of: String
    }

    /// `BulkRedeliveryResponse`.
    struct BulkResponse: Encodable {
        let count: Int
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.post("webhooks/{id}/logs/{logId}/redeliver") { _, context in
            let delivery = try redeliveries.redeliver(
                accountID: context.principal.accountID, webhookID: context.parameters.get("id") ?? "",
                logID: context.parameters.get("logId") ?? ""
            )
            return try APIJSON.response(OneResponse(delivery_id: delivery.id, redelivery_of: delivery.redeliveryOf ?? ""), status: .accepted)
        }
        authenticated.post("webhooks/{id}/redeliver") { request, context in
            let body = try await request.decodeOptionalJSON(BulkRequest.self)
            let filter = try RedeliveryFilter(status: body?.status, since: body?.since, until: body?.until)
            let count = try await redeliveries.redeliver(
                accountID: context.principal.accountID, webhookID: context.parameters.get("id") ?? "", filter: filter
            )
            return try APIJSON.response(BulkResponse(count: count), status: .accepted)
        }
    }
}
