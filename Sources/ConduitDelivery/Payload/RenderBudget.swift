import ConduitWebhooks

/// How much work one rendering of a `payload_template` may do
/// (docs/DELIVERY.md, "Templates"). Sections multiply: twelve nested
/// `{{#headers}}` over 20 headers are 20^12 passes, so a template that is
/// small and valid can still ask for more than any machine has.
public struct RenderBudget: Sendable, Equatable {
    /// Passes over section bodies: one per element of a list a section
    /// iterates (and one for the look an inverted section takes at a list).
    public var maxIterations: Int
    /// Bytes of output. Counted while rendering, so a render stops as soon
    /// as it is over: each value by its JSON-escaped length (an object or
    /// list by its JSON), plus for every pass over a list the length of the
    /// longest section body naming that list; the finished body is measured
    /// again.
    public var maxOutputBytes: Int

    public static let defaultMaxIterations = 100_000
    /// Output may be twice the default JSON body plus this much.
    public static let outputAllowance = 1 << 20

    /// The budget for a message whose default JSON body is `defaultBodyBytes` long.
    public static func forDefaultBody(bytes defaultBodyBytes: Int) -> RenderBudget {
        RenderBudget(maxIterations: defaultMaxIterations, maxOutputBytes: 2 * defaultBodyBytes + outputAllowance)
    }
}

/// A template rendering that passed its budget, or a template that cannot be
/// rendered safely. The attempt fails for good: the same template over the
/// same message would fail again on every retry.
public struct TemplateRenderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    static func iterations(_ limit: Int) -> TemplateRenderError {
        TemplateRenderError(description: "payload_template exceeded its render budget: more than \(limit) section iterations")
    }

    static func output(_ limit: Int) -> TemplateRenderError {
        TemplateRenderError(description: "payload_template exceeded its render budget: more than \(limit) bytes of output")
    }

    static func unsafe(_ reason: String) -> TemplateRenderError {
        TemplateRenderError(description: "payload_template cannot be rendered: \(reason)")
    }
}

/// Counts one rendering's work against its budget. Once over, it says so
/// to every metered value, which then render nothing and iterate no more:
/// what is left of the render is bounded by the template's own size.
/// Used by one thread (the render runs synchronously), hence not Sendable.
/// (ConduitWebhooks' `TemplateShape` says how long section bodies are.)
final class RenderMeter {
    let budget: RenderBudget
    /// The text a pass over a list under a given key renders by itself: the
    /// longest body of the `{{#key}}` sections (`TemplateShape`).
    let passBytesByKey: [String: Int]
    /// For a list no section names (there should be none): the longest
    /// section body of all.
    let largestPassBytes: Int
    private(set) var iterations = 0
    private(set) var outputBytes = 0
    private(set) var exceeded: TemplateRenderError?

    init(budget: RenderBudget, shape: TemplateShape) {
        self.budget = budget
        passBytesByKey = shape.sectionBytesByKey
        largestPassBytes = shape.largestSectionBytes
    }

    var isExhausted: Bool { exceeded != nil }

    /// What one pass over the list under `key` is charged for its text.
    func passBytes(key: String?) -> Int {
        key.flatMap { passBytesByKey[$0] } ?? largestPassBytes
    }

    /// One more pass over a section body of `bytes`; `false` when the
    /// budget does not allow it.
    func iterate(bytes: Int) -> Bool {
        guard exceeded == nil else { return false }
        iterations += 1
        if iterations > budget.maxIterations {
            exceeded = .iterations(budget.maxIterations)
            return false
        }
        return charge(bytes: bytes)
    }

    /// `bytes` more of output; `false` when the budget does not allow them.
    func charge(bytes: Int) -> Bool {
        guard exceeded == nil else { return false }
        outputBytes += bytes
        if outputBytes > budget.maxOutputBytes {
            exceeded = .output(budget.maxOutputBytes)
            return false
        }
        return true
    }
}
