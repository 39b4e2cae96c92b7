import ConduitFuzzTargets
import Foundation

/// `conduit-fuzz`, two builds of one file (docs/RELIABILITY.md, "Fuzzing"):
/// - with `-sanitize=fuzzer,address -D CONDUIT_LIBFUZZER` (`make fuzz`,
///   `make fuzz-replay`): libFuzzer's driver, every argument libFuzzer's;
///   the target is named by `CONDUIT_FUZZ_TARGET`.
/// - otherwise (the ordinary build): `conduit-fuzz TARGET FILE...` runs
///   each file through the target once, without libFuzzer, so a reported
///   input can be replayed under a debugger.
@main
struct FuzzMain {
    static func target(named name: String?) -> FuzzTarget {
        guard let name, let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("conduit-fuzz: name a target (\(names))\n".utf8))
            exit(2)
        }
        return target
    }

    #if CONDUIT_LIBFUZZER
    /// Set once, before libFuzzer calls `LLVMFuzzerTestOneInput`.
    nonisolated(unsafe) static var selected = FuzzTarget.smtp

    static func main() {
        selected = target(named: ProcessInfo.processInfo.environment["CONDUIT_FUZZ_TARGET"])
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
    #else
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        let target = target(named: arguments.first)
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("conduit-fuzz: cannot read \(path)\n".utf8))
                exit(1)
            }
            await target.run(Array(data))
            print("\(target.rawValue): \(path): ok")
        }
    }
    #endif
}

#if CONDUIT_LIBFUZZER
/// libFuzzer's own entry (`FuzzerDriver`), declared by hand: no C header needed.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The function libFuzzer calls with each input. Also exported under its
/// conventional name, which libFuzzer's archive refers to.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzMain.selected.runBlocking(input)
    return 0
}
#endif
