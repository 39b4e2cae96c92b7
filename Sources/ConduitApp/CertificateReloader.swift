import ConduitSMTP
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the STARTTLS certificate and key on SIGHUP, so a renewed
/// certificate (certbot's deploy hook: `systemctl reload conduit`) takes
/// effect without dropping connections. A bad new pair is logged and the
/// old one stays in use.
struct CertificateReloader: Service {
    let provider: SMTPTLSProvider?
    let logger: Logger

    func run() async throws {
        guard let provider else {
            // Nothing to reload; still swallow SIGHUP so it does not kill us.
            for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                logger.info("SIGHUP: no TLS certificate configured, nothing to reload")
            }
            return
        }
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                try provider.reload()
                logger.info("TLS certificate reloaded", metadata: ["cert": "\(provider.certificatePath)"])
            } catch {
                logger.error("TLS certificate reload failed; keeping the previous one", metadata: ["error": "\(error)"])
            }
        }
    }
}
