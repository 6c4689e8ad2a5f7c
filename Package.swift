// swift-tools-version:5.9
import Foundation
import PackageDescription

// The training core (SGDCore, pure Swift) is exported through @_cdecl functions (SGDExports) declared
// in the C header of CSGDSwift. The static library `SGDSwift` is what the CPython extension links.
//
// The elementwise kernels (SGDKernels: activations, optimizer updates, finiteness checks) are compiled
// three times from the same sources — Sources/SGDKernelsAVX2 and Sources/SGDKernelsAVX512 are links to
// Sources/SGDKernels — once for any x86-64, once for AVX2 + FMA, once for AVX-512; SGDCore picks one
// table at run time from CPUID (CInstructionSet). Everything else is built for the baseline, so one
// build runs on every x86-64 CPU.
// (On other architectures all three are the same baseline build and CInstructionSet answers baseline.)
#if arch(x86_64)
let avx2: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let avx512: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512", "-Xcc", "-mprefer-vector-width=512"])]
#else
let (avx2, avx512): ([SwiftSetting], [SwiftSetting]) = ([], [])
#endif

// Whether libxsmm's header is where Debian's libxsmm-dev puts it (CSmallProducts checks the same).
let hasLibxsmm = FileManager.default.fileExists(atPath: "/usr/include/libxsmm.h")

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
        .target(name: "CInstructionSet"),
        // libxsmm (Debian's libxsmm-dev, x86-64 only) for the small products, when it is installed; its BLAS
        // fallback is OpenBLAS. Without it every product goes to OpenBLAS.
        .target(name: "CSmallProducts", linkerSettings: hasLibxsmm
                    ? [.linkedLibrary("xsmm"), .linkedLibrary("openblas"), .linkedLibrary("dl"), .linkedLibrary("rt")]
                    : []),
        .target(name: "SGDNumerics", dependencies: ["CBLAS", "CSmallProducts"]),
        .target(name: "SGDKernels", dependencies: ["SGDNumerics"]),
        .target(name: "SGDKernelsAVX2", dependencies: ["SGDNumerics"], swiftSettings: avx2),
        .target(name: "SGDKernelsAVX512", dependencies: ["SGDNumerics"], swiftSettings: avx512),
        .target(name: "SGDCore", dependencies: ["CBLAS", "CInstructionSet", "CSmallProducts", "SGDNumerics", "SGDKernels",
                                                "SGDKernelsAVX2", "SGDKernelsAVX512"]),
        .target(name: "CSGDSwift"),
        .target(name: "SGDExports", dependencies: ["SGDCore", "CSGDSwift"]),
        .testTarget(name: "SGDCoreTests", dependencies: ["SGDCore"]),
    ]
)
