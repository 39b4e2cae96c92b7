/// How the targets that need more than one piece of text read an input:
/// sections separated by a line `%%` (`\n%%\n`), so seeds stay readable
/// text and libFuzzer's dictionary can add separators.
enum FuzzInput {
    static let separator: [UInt8] = Array("\n%%\n".utf8)

    /// The sections of `input`, in order (one when there is no separator).
    static func sections(_ input: [UInt8]) -> [[UInt8]] {
        var sections: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + separator.count <= input.count {
            if input[index] == separator[0], input[index..<(index + separator.count)].elementsEqual(separator) {
                sections.append(Array(input[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        sections.append(Array(input[start...]))
        return sections
    }

    /// Chunk boundaries derived from `seed` bytes: offsets into a buffer of
    /// `count` bytes, so the same input always splits the same way.
    static func splits(count: Int, seed: ArraySlice<UInt8>) -> [Int] {
        guard count > 1 else { return [] }
        var offsets: [Int] = []
        var position = 0
        for byte in seed.prefix(64) {
            position += Int(byte % 37) + 1
            if position >= count { break }
            offsets.append(position)
        }
        return offsets
    }

    /// FNV-1a: a hash that, unlike `Hasher`, is the same in every process,
    /// so a crash input replays the same answers.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
