/// The fuzz target's way in (docs/RELIABILITY.md, "Fuzzing"): the check a
/// `payload_template` passes when a webhook is saved. SPI, so the module's
/// public surface does not grow.
@_spi(Fuzzing) public enum TemplateFuzzing {
    /// `raw` through `FieldRules.payloadTemplate`: the template as saved, or
    /// `nil` when empty or refused.
    public static func validatePayloadTemplate(_ raw: String) -> String? {
        (try? FieldRules.payloadTemplate(raw)) ?? nil
    }
}
