import Glibc

/// A file holding the part of one message that did not stay in memory
/// (docs/SMTP.md, "Memory"). Created 0600 in the spill directory and
/// unlinked at once: only the open descriptor keeps it, so it vanishes when
/// the message is released, the connection drops or the process dies; a
/// crash between creation and unlink leaves a name that `prepareDirectory`
/// removes at the next start.
///
/// Every call blocks (disk I/O): run them on a thread pool or the spool's
/// writer thread, never on an event loop or the cooperative pool.
final class SpillFile: Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// A new, already unlinked file in `directory`.
    static func create(in directory: String) throws(SpillFileError) -> SpillFile {
        var template = Array("\(directory)/spill-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpillFileError(operation: "create in \(directory)", code: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let file = SpillFile(descriptor: fd)
        // mkstemp creates 0600; the name is not needed past this point.
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        return file
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SpillFileError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SpillFileError(operation: "write", code: n < 0 ? errno : EIO) }
            done += n
        }
    }

    /// Fills `destination` from `offset`; throws when the file is shorter.
    func read(into destination: UnsafeMutableRawBufferPointer, at offset: Int) throws(SpillFileError) {
        var done = 0
        while done < destination.count {
            let n = pread(descriptor, destination.baseAddress! + done, destination.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SpillFileError(operation: "read", code: n < 0 ? errno : EIO) }
            done += n
        }
    }

    /// Creates `directory` (0700) when missing and removes whatever an
    /// earlier process left in it. Call once at start, before listening.
    static func prepareDirectory(_ directory: String) throws(SpillFileError) {
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw SpillFileError(operation: "create directory \(directory)", code: errno)
        }
        guard let dir = opendir(directory) else { throw SpillFileError(operation: "open \(directory)", code: errno) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("spill-") else { continue }
            unlink("\(directory)/\(name)")
        }
    }
}

/// A spill file operation that failed, with its `errno`.
public struct SpillFileError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public var description: String { "spill file \(operation): \(String(cString: strerror(code)))" }

    /// The disk (or the user's quota on it) is full.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
}
