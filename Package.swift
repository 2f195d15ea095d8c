// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mqctl",
    products: [
        .executable(name: "mqctl", targets: ["mqctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        // RQ keeps tracebacks zlib-compressed (issue 17); already on every machine with libssl-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Wrappers for libedit's variadic calls, which Swift cannot make.
        .target(name: "CLineEditShim", dependencies: ["CLibEdit"]),
        // TLS over OpenSSL (Debian libssl-dev), whose API is partly macros.
        .target(name: "CTLSShim", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // Swift 6 language mode target by target (issue 19); the package default is still v5.
        .target(name: "MQLineEditor", dependencies: ["CLibEdit", "CLineEditShim"], swiftSettings: [.swiftLanguageMode(.v6)]),
        // Raw mode, keys and frames for `mqctl top`, over termios and ANSI.
        .target(name: "MQTerminal", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "MQRedis", dependencies: ["CHiredis", "CTLSShim"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "MQParsing", dependencies: ["MQRedis", "MQFormat"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "MQFormat", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "MQCore", dependencies: ["MQRedis", "MQFormat", "MQParsing", "CZlib"]),
        .target(name: "MQCommands", dependencies: [
            "MQRedis", "MQParsing", "MQFormat", "MQCore", "MQLineEditor", "MQTerminal",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mqctl", dependencies: ["MQCommands"]),
        // Feeds the input parsers mutated bytes (Scripts/chaos).
        .executableTarget(name: "mqctl-fuzz", dependencies: ["MQParsing", "MQCore", "MQCommands"]),

        // Starts real redis-server processes for the tests.
        .target(name: "MQTestSupport", dependencies: ["MQRedis"], path: "Tests/MQTestSupport"),
        .testTarget(name: "MQRedisTests", dependencies: ["MQRedis", "MQTestSupport"]),
        .testTarget(name: "MQParsingTests", dependencies: ["MQParsing"]),
        .testTarget(name: "MQCoreTests", dependencies: ["MQCore", "MQTestSupport"]),
        .testTarget(name: "MQFormatTests", dependencies: ["MQFormat"]),
        .testTarget(name: "MQLineEditTests", dependencies: ["CLineEditShim"]),
        .testTarget(name: "MQCommandsTests", dependencies: ["MQCommands", "MQTestSupport", "mqctl"]),
        .testTarget(name: "MQWorkerTests", dependencies: ["MQCore", "MQTestSupport", "mqctl"]),
    ],
    swiftLanguageModes: [.v5]
)
