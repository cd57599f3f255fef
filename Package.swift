// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "batchd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "batchd", targets: ["batchd"]),
        .executable(name: "batchctl", targets: ["batchctl"]),
        .executable(name: "batchd-recv", targets: ["batchd-recv"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibSSH", pkgConfig: "libssh", providers: [.apt(["libssh-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .target(name: "BatchCore"),
        .target(name: "Locking"),
        .target(name: "ProcessLifecycle", dependencies: [
            "Locking",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .target(name: "SSHKit", dependencies: [
            "CLibSSH", "Locking",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BatchStore", dependencies: [
            "BatchCore", "Locking",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "BatchArchive", dependencies: [
            "BatchCore", "CZlib", "CDeflate", "CArchive",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BatchServer", dependencies: [
            "BatchCore", "Locking", "SSHKit", "BatchStore", "BatchArchive",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BatchReceiver", dependencies: [
            "BatchCore", "Locking", "SSHKit", "BatchArchive",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "batchd-recv", dependencies: [
            "BatchReceiver", "BatchCore", "ProcessLifecycle",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "batchd", dependencies: [
            "BatchServer", "Locking", "ProcessLifecycle",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "batchctl", dependencies: [
            "BatchServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "BatchCoreTests", dependencies: ["BatchCore"]),
        .testTarget(name: "BatchArchiveTests", dependencies: [
            "BatchArchive", "BatchCore", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "BatchStoreTests", dependencies: ["BatchStore", "BatchCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["BatchServer", "BatchStore", "BatchCore", "Locking"],
                    exclude: ["Clients"]),
        .testTarget(name: "ReceiverTests", dependencies: ["BatchReceiver", "BatchCore"]),
        .testTarget(name: "SSHKitTests", dependencies: ["SSHKit", "Locking"]),
        .testTarget(name: "AdminTests", dependencies: ["BatchServer", "BatchStore", "BatchCore", "BatchArchive"]),
    ],
    swiftLanguageModes: [.v6]
)
