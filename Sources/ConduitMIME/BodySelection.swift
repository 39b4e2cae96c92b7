/// Which parts are the text and HTML bodies: Python's
/// `EmailMessage.get_body((subtype,))` rules, so the choice matches a
/// widely used reference. Depth first, the first `text/<subtype>` that is
/// not `Content-Disposition: attachment`; inside multipart/related only the
/// root part (`start`, else the first) is looked at; message/* parts are
/// not descended into (a forwarded message is an attachment).
enum BodySelection {
    /// The path (child indexes from the root) of the body part, or `nil`.
    static func find(_ root: MIMEEntity, subtype: String) -> [Int]? {
        search(root, path: [], subtype: subtype)
    }

    private static func search(_ entity: MIMEEntity, path: [Int], subtype: String) -> [Int]? {
        if entity.isAttachment { return nil }
        if entity.mainType == "text" { return entity.subType == subtype ? path : nil }
        guard entity.mainType == "multipart", let children = entity.children, !children.isEmpty else { return nil }
        guard entity.subType == "related" else {
            for (index, child) in children.enumerated() {
                if let found = search(child, path: path + [index], subtype: subtype) { return found }
            }
            return nil
        }
        var root = 0
        if let start = entity.contentType.parameters["start"], let index = children.firstIndex(where: { $0.contentID == start }) {
            root = index
        }
        return search(children[root], path: path + [root], subtype: subtype)
    }
}

extension MIMEEntity {
    /// The entity at `path`.
    subscript(path: [Int]) -> MIMEEntity {
        var entity = self
        for index in path { entity = entity.children![index] }
        return entity
    }

    /// Every leaf with its path, depth first; a multipart that was not
    /// split (no boundary, too deep) is a leaf too.
    func leaves() -> [([Int], MIMEEntity)] {
        var out: [([Int], MIMEEntity)] = []
        func walk(_ entity: MIMEEntity, _ path: [Int]) {
            guard let children = entity.children else {
                out.append((path, entity))
                return
            }
            for (index, child) in children.enumerated() { walk(child, path + [index]) }
        }
        walk(self, [])
        return out
    }
}
