import Hummingbird
import Testing
@testable import ConduitAPI

/// The byte-level fast path of `BearerAuthMiddleware` must read a header
/// exactly as the general parser does, or leave it to that parser.
@Suite struct BearerTokenParsingTests {
    static let token = "cda_" + String(repeating: "Ab9-_", count: 8) + "xyz"

    @Test func theCommonFormIsReadWithoutTheGeneralParser() {
        for header in ["Bearer \(Self.token)", "bearer \(Self.token)", "BEARER \(Self.token)", "bEaReR x"] {
            let fast = BearerAuthMiddleware.plainBearerToken(in: header)
            #expect(fast != nil, "\(header)")
            #expect(fast == BearerAuthMiddleware.anyBearerToken(in: header), "\(header)")
        }
        #expect(BearerAuthMiddleware.bearerToken(in: "Bearer \(Self.token)") == Self.token)
    }

    @Test func everyOtherFormGoesToTheGeneralParser() {
        let headers = [
            "", "Bearer", "Bearer ", "Bearer  \(Self.token)", "Bearer \(Self.token) ", "Bearer \(Self.token)\t",
            " Bearer \(Self.token)", "Bearer\t\(Self.token)", "Bearer \(Self.token)\u{A0}", "Bearer tö", "Basic dXNlcjpwYXNz",
            "Bearerx \(Self.token)", "Bearer: \(Self.token)", "Bear3r \(Self.token)", "Bearer a b", "Bearer \u{7F}",
        ]
        for header in headers {
            #expect(BearerAuthMiddleware.plainBearerToken(in: header) == nil, "\(header.debugDescription)")
        }
        // What the general parser makes of some of them, unchanged.
        #expect(BearerAuthMiddleware.bearerToken(in: "Bearer  \(Self.token)") == Self.token)
        #expect(BearerAuthMiddleware.bearerToken(in: "Bearer \(Self.token)\u{A0}") == Self.token)
        #expect(BearerAuthMiddleware.bearerToken(in: "Basic dXNlcjpwYXNz") == nil)
        #expect(BearerAuthMiddleware.bearerToken(in: "Bearer") == nil)
    }

    typealias Field = HTTPFields.Element

    @Test func theAuthorizationHeaderIsReadAsTheSubscriptReadsIt() {
        let cases: [HTTPFields] = [
            [:],
            [.contentType: "application/json"],
            [.authorization: "Bearer \(Self.token)"],
            [.accept: "*/*", .authorization: "Bearer \(Self.token)", .userAgent: "wrk"],
            HTTPFields([Field(name: .authorization, value: "Bearer a"), Field(name: .authorization, value: "Bearer b")]),
            HTTPFields([Field(name: Field.Name("AUTHORIZATION")!, value: "Bearer \(Self.token)")]),
            HTTPFields([Field(name: .authorization, value: "")]),
        ]
        for headers in cases {
            #expect(BearerAuthMiddleware.authorization(in: headers) == headers[.authorization], "\(headers)")
        }
        #expect(BearerAuthMiddleware.authorization(in: [.authorization: "Bearer x"]) == "Bearer x")
    }
}
