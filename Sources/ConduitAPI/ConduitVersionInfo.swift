import ConduitCore

enum ConduitVersionInfo {
    static var version: String { ConduitVersion.string }
}
