import Foundation
import MQTestSupport
import XCTest

/// Issue 21 #1: the shipped binary links FoundationEssentials, never full
/// Foundation, which brings ICU (34 MB of data, start-up time). One
/// `import Foundation` in a module of the mqctl product undoes that; this
/// says so at once, in the debug build, instead of in the package's size.
final class BinaryDependencyTests: XCTestCase {
    func testTheBinaryLinksNeitherFoundationNorICU() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw FixtureError("\(binary) is missing: run Scripts/test, which builds it") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        process.arguments = [binary]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let libraries = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, libraries)
        XCTAssertTrue(libraries.contains("libFoundationEssentials.so"), libraries)
        XCTAssertFalse(libraries.contains("libFoundation.so"), "full Foundation is linked: \(libraries)")
        XCTAssertFalse(libraries.contains("FoundationICU"), "ICU is linked: \(libraries)")
    }
}
