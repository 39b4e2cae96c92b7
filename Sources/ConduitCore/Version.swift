/// The release of this build, as `conduit version` prints it and as the
/// webhook `User-Agent` (`Conduit/<version>`) carries it.
public enum ConduitVersion {
    /// Semantic version `x.y.z`.
    public static let string = "0.1.0"
    /// The HTTP `User-Agent` of outbound requests.
    public static let userAgent = "Conduit/\(string)"
}
