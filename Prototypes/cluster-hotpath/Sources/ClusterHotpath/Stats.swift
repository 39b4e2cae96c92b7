/// Latencies of one measured path, in microseconds.
struct LatencySample {
    private(set) var micros: [Double] = []

    mutating func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        micros.append(Double(seconds) * 1e6 + Double(attoseconds) / 1e12)
    }

    mutating func append(_ other: LatencySample) { micros.append(contentsOf: other.micros) }

    var count: Int { micros.count }

    /// The nearest-rank percentile (`p` in 0…100).
    func percentile(_ p: Double) -> Double {
        guard !micros.isEmpty else { return .nan }
        let sorted = micros.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var mean: Double { micros.isEmpty ? .nan : micros.reduce(0, +) / Double(micros.count) }
}

/// Microseconds in a duration.
func micros(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

/// `12.3` style, for the result table.
func format(_ value: Double, digits: Int = 1) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return "\(rounded)"
}
