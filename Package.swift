// swift-tools-version:5.9
import PackageDescription

// The training core (SGDCore, pure Swift) is exported through @_cdecl functions (SGDExports) declared
// in the C header of CSGDSwift. The static library `SGDSwift` is what the CPython extension links.
let package = Package(
    name: "sgdswift",
    products: [
        .library(name: "SGDSwift", type: .static, targets: ["SGDExports"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "SGDCore", dependencies: ["CBLAS"]),
        .target(name: "CSGDSwift"),
        .target(name: "SGDExports", dependencies: ["SGDCore", "CSGDSwift"]),
        .testTarget(name: "SGDCoreTests", dependencies: ["SGDCore"]),
    ]
)
