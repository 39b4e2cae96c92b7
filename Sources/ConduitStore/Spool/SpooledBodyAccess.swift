extension ReadTransaction {
    /// Runs `body` over a spooled message's bytes where they lie in the
    /// memory map — no copy — or returns `nil` when the message is not
    /// there. The pointer is valid only during the call (LMDB pages belong
    /// to the transaction): copy out what must outlive it.
    public func withSpooledBody<T>(id: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try withRaw(database: Spool.bodiesDatabase, key: id, body)
    }
}

extension Store {
    /// `withSpooledBody` in its own short read transaction.
    public func withSpooledBody<T>(id: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try read { try $0.withSpooledBody(id: id, body) }
    }
}
