/// One entry of the question section.
public struct DNSQuestion: Sendable, Equatable {
    public var name: String
    public var type: UInt16
    public var questionClass: UInt16

    public init(name: String, type: UInt16, questionClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}
