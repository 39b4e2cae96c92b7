// The ceiling `make bench-rest` compares Conduit's REST API with
// (docs/PERFORMANCE.md, "REST (issue 15)"): a bare Hummingbird 2 application
// with one route on the same path, `GET /api/v1/webhooks`, answering the
// same bytes Conduit answers there, with no middleware, no auth and no store.
// What Conduit costs above this is its own work.
//
// Usage: bench-ceiling BODY_FILE [PORT]  (port 0 or absent: any free port)
// Prints `listening port=N` once bound; runs until SIGINT/SIGTERM.
import Foundation
import Hummingbird
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count >= 2, let body = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: bench-ceiling BODY_FILE [PORT]\n".utf8))
    exit(64)
}
let port = arguments.count >= 3 ? Int(arguments[2]) ?? 0 : 0
let bytes = ByteBuffer(bytes: body)

let router = Router()
router.get("api/v1/webhooks") { _, _ in
    Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: bytes)
    )
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    onServerRunning: { channel in
        // Unbuffered: the bench script waits for this line.
        FileHandle.standardOutput.write(Data("listening port=\(channel.localAddress?.port ?? port)\n".utf8))
    }
)
try await app.runService()
