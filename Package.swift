// swift-tools-version:6.0
import Foundation
import PackageDescription

// Numeric kernels are written against `SIMD16<Float>`; they only become real AVX-512/AVX2
// instructions when the compiler may target the host CPU (docs/architecture.md, "Speed rules").
// FlowTune is built from source on the machine that runs it, so `native` is the right target.
let hostCPU: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native"]),
]

// Data-parallel training over MPI (docs/distributed.md) binds Open MPI's C library through the
// system-library target CMPI. It is built only where Open MPI's development files are installed
// (`libopenmpi-dev` on Debian: the pkg-config file ompi-c.pc), so `swift build` works on a machine
// without MPI and gives a flowtune that trains in one process. FLOWTUNE_MPI=0 builds without MPI
// even where it is installed; FLOWTUNE_MPI=1 insists on it (the build then fails without it).
let mpiPkgConfigDirectories: [String] = {
    var directories = ["/usr/lib/pkgconfig", "/usr/local/lib/pkgconfig", "/usr/share/pkgconfig",
                       "/opt/homebrew/lib/pkgconfig", "/usr/lib64/pkgconfig"]
    // Debian's multiarch directories: /usr/lib/x86_64-linux-gnu/pkgconfig, /usr/lib/aarch64-linux-gnu/pkgconfig, …
    let multiarch = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []
    directories += multiarch.filter { $0.hasSuffix("-linux-gnu") }.map { "/usr/lib/\($0)/pkgconfig" }
    return directories
}()
let mpiSetting = ProcessInfo.processInfo.environment["FLOWTUNE_MPI"]
let buildsWithMPI = mpiSetting == "1"
    || (mpiSetting != "0" && mpiPkgConfigDirectories.contains { FileManager.default.fileExists(atPath: $0 + "/ompi-c.pc") })
let mpiTargets: [Target] = buildsWithMPI
    ? [.systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                      providers: [.apt(["libopenmpi-dev", "openmpi-bin"]), .brew(["open-mpi"])])]
    : []

let package = Package(
    name: "FlowTune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flowtune", targets: ["flowtune"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "FlowConfig", targets: ["FlowConfig"]),
        .library(name: "FlowTensor", targets: ["FlowTensor"]),
        .library(name: "FlowNN", targets: ["FlowNN"]),
        .library(name: "FlowPolicy", targets: ["FlowPolicy"]),
        .library(name: "FlowEnvs", targets: ["FlowEnvs"]),
        .library(name: "FlowRL", targets: ["FlowRL"]),
        .library(name: "FlowDistributed", targets: ["FlowDistributed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // safetensors files, the atomic file writer and the strict JSON reader: no numeric code.
        .target(name: "SafeTensors"),
        // strict YAML config sections: fields with key, type, default, bounds and help; --set overrides.
        .target(name: "FlowConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "FlowTensor", swiftSettings: hostCPU),
        .target(name: "FlowNN", dependencies: ["FlowTensor", "SafeTensors"], swiftSettings: hostCPU),
        .target(name: "FlowPolicy", dependencies: ["FlowTensor", "FlowNN", "SafeTensors", "FlowConfig"], swiftSettings: hostCPU),
        .target(name: "FlowEnvs", dependencies: ["FlowTensor", "SafeTensors"], swiftSettings: hostCPU),
        // The communicator of data-parallel training: one process, or MPI's ranks where CMPI is built.
        .target(name: "FlowDistributed", dependencies: buildsWithMPI ? ["CMPI"] : []),
        .target(name: "FlowRL", dependencies: ["FlowTensor", "FlowNN", "FlowPolicy", "FlowEnvs", "SafeTensors", "FlowConfig", "FlowDistributed"],
                swiftSettings: hostCPU),
        .target(
            name: "FlowTuneCLI",
            dependencies: [
                "FlowTensor", "FlowNN", "FlowPolicy", "FlowEnvs", "FlowRL", "SafeTensors", "FlowConfig", "FlowDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hostCPU),
        // Benchmarks and the peer harness's Swift side: `flowtune bench …`, kept out of the workflow commands.
        .target(
            name: "FlowTuneBench",
            dependencies: [
                "FlowTensor", "FlowNN", "FlowPolicy", "FlowEnvs", "FlowRL", "FlowTuneCLI", "FlowConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hostCPU),
        .executableTarget(
            name: "flowtune",
            dependencies: ["FlowTuneCLI", "FlowTuneBench", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hostCPU),
        .testTarget(name: "FlowTensorTests", dependencies: ["FlowTensor", "FlowTestSupport"], swiftSettings: hostCPU),
        .testTarget(name: "FlowNNTests", dependencies: ["FlowTensor", "FlowNN", "FlowTestSupport"], swiftSettings: hostCPU),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "FlowTensor", "FlowTestSupport"], swiftSettings: hostCPU),
        .testTarget(name: "FlowEnvsTests", dependencies: ["FlowEnvs", "FlowNN", "SafeTensors", "FlowTestSupport"], swiftSettings: hostCPU),
        .target(name: "FlowTestSupport", dependencies: ["FlowPolicy", "FlowNN", "FlowConfig", "FlowDistributed"], path: "Tests/FlowTestSupport"),
        .testTarget(name: "FlowPolicyTests", dependencies: ["FlowPolicy", "FlowNN", "SafeTensors", "FlowTestSupport"], swiftSettings: hostCPU),
        .testTarget(name: "FlowRLTests", dependencies: ["FlowRL", "FlowPolicy", "FlowEnvs", "FlowNN", "FlowConfig", "SafeTensors", "FlowTestSupport", "FlowDistributed"],
                    swiftSettings: hostCPU),
        .testTarget(name: "FlowDistributedTests", dependencies: ["FlowDistributed", "FlowTestSupport"]),
        .testTarget(name: "FlowConfigTests", dependencies: ["FlowConfig", "FlowTestSupport"]),
        .testTarget(name: "FlowTuneCLITests", dependencies: ["FlowTuneCLI", "FlowConfig", "SafeTensors", "FlowTestSupport", "FlowDistributed"], swiftSettings: hostCPU),
        .testTarget(name: "FlowTuneBenchTests", dependencies: ["FlowTuneBench", "FlowTuneCLI", "FlowConfig", "SafeTensors", "FlowTestSupport"],
                    swiftSettings: hostCPU),
    ] + mpiTargets,
    swiftLanguageModes: [.v6]
)
