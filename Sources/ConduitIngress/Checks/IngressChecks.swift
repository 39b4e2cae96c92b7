/// The registered checks, in the order they run at each stage
/// (docs/SMTP.md, "Security policies"). Adding a check is a new file with
/// its `IngressCheck` value, its reason in `CheckReason.Kind` with a row in
/// `IngressRefusal`'s table, and a line here.
public enum IngressChecks {
    public static let standard: [any IngressCheck] = [
        SourceIPCheck(),
        AuthCheck(),
        SPFCheck(),
        DKIMCheck(),
        DMARCCheck(),
    ]
}
