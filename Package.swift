// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ldmctl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ldmctl", targets: ["ldmctl"]),
        .executable(name: "ldm-mkimage", targets: ["ldm-mkimage"]),
        .library(name: "LDM", targets: ["LDM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // On-disk format: partition tables, PRIVHEAD, TOCBLOCK, VMDB, VBLK;
        // the model built from them; and the image writer. Pure Swift, no I/O
        // beyond the SectorSource protocol.
        .target(name: "LDM", exclude: ["Writer"]),
        // The image writer (model -> image bytes) for tests, the demo and
        // fuzz seeds; kept out of the ldmctl binary.
        .target(name: "LDMWriter", dependencies: ["LDM"], path: "Sources/LDM/Writer"),
        // Device-mapper value types (targets, devices, device numbers) shared
        // by the planner and the kernel binding, so neither depends on the other.
        .target(name: "DMTypes"),
        // Volume -> device-mapper tables. Pure, no I/O.
        .target(name: "DMTable", dependencies: ["LDM", "DMTypes"]),
        // libdevmapper, as a system library.
        .systemLibrary(name: "CDeviceMapper",
                       providers: [.apt(["libdevmapper-dev"])]),
        // Formats libdevmapper's variadic log callback, which Swift cannot
        // implement, so errors carry libdevmapper's own messages.
        // libdevmapper is loaded on first use (dmload.c): commands that never
        // touch device-mapper do not pay for loading it.
        // The loader both shims use: dlopen on first call, with the reason on failure.
        .target(name: "CLazyLibrary", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CDeviceMapperShim", dependencies: ["CLazyLibrary"]),
        .target(name: "DeviceMapper", dependencies: ["CDeviceMapper", "CDeviceMapperShim", "DMTypes", "SystemIO"]),
        // Errors, whole-file reads and writes, directory listings and the
        // bounded file lock: the POSIX plumbing, once. Not on swift-system:
        // see the comment in SystemIO.swift (udev probe start-up cost).
        .target(name: "SystemIO"),
        // Finding and reading disks: files, block devices, sysfs.
        .target(name: "BlockDevices", dependencies: ["LDM", "DMTypes", "Udev", "SystemIO"]),
        // scan -> plan -> apply with rollback; /run state; hotplug policy.
        .target(name: "Activation",
                dependencies: ["LDM", "DMTable", "DeviceMapper", "BlockDevices", "SystemIO"]),
        // The udev helper: per-disk records under /run/ldmctl, event
        // activation, degraded start after a wait.
        .target(name: "Hotplug", dependencies: ["LDM", "DMTypes", "DMTable", "BlockDevices", "Activation", "DeviceMapper", "SystemIO"]),
        // No swift-argument-parser here: see Sources/ldmctl/CLI/Arguments.swift.
        .executableTarget(name: "ldmctl", dependencies: [
            "LDM", "DMTable", "BlockDevices", "Activation", "DeviceMapper", "Hotplug",
            "Monitor", "JSONText", "SystemIO", "LDMEdit",
        ], linkerSettings: [
            // A non-PIE executable skips ~40k start-up relocations: ldmctl
            // runs once per udev event, so start-up time is most of its time.
            .unsafeFlags(["-Xclang-linker", "-no-pie"], .when(configuration: .release)),
        ]),
        // Editing a live database: plan a volume create/delete, back up the
        // database area, write the change in Windows' transaction order.
        // Reuses the image writer's record encoder (LDMWriter).
        .target(name: "LDMEdit", dependencies: ["LDM", "LDMWriter", "BlockDevices", "SystemIO"]),
        // Test, fuzz and invariant support (the fuzzer's sparse disks, the
        // table invariants): used by the tests and Fuzz/, never linked into
        // ldmctl.
        .target(name: "LDMTestSupport", dependencies: ["LDM", "DMTable"]),
        // Writes LDM disk images of any layout (tests, demo, fuzz seeds).
        .executableTarget(name: "ldm-mkimage", dependencies: [
            "LDM", "LDMWriter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "LDMTests", dependencies: ["LDM", "LDMWriter", "BlockDevices"]),
        .testTarget(name: "DMTableTests", dependencies: ["DMTable", "LDMTestSupport", "LDM", "LDMWriter", "BlockDevices", "Hotplug"]),
        .testTarget(name: "HotplugTests", dependencies: ["Hotplug", "LDM", "LDMWriter", "DMTable", "DeviceMapper", "SystemIO"]),
        .testTarget(name: "DeviceMapperTests", dependencies: ["DeviceMapper", "Activation", "DMTable"]),
        // libudev, as a system library (headers only: never linked).
        .systemLibrary(name: "CUdev", providers: [.apt(["libudev-dev"])]),
        // libudev loaded on first use (udevload.c), as CDeviceMapperShim does
        // for libdevmapper: scan/show/table with DEVICE arguments and the
        // udev probe never load it.
        .target(name: "CUdevShim", dependencies: ["CLazyLibrary"]),
        .target(name: "Udev", dependencies: ["CUdev", "CUdevShim"]),
        // device-mapper's global event fd (DM_DEV_ARM_POLL) and signalfd.
        .target(name: "CMonitor"),
        // JSON values and the one JSON string escaping (show, status, monitor).
        .target(name: "JSONText"),
        // `ldmctl monitor`: observed state -> events (pure), and the loop
        // that observes on udev and device-mapper events.
        .target(name: "Monitor", dependencies: [
            "LDM", "DMTable", "BlockDevices", "Activation", "DeviceMapper", "Udev", "CMonitor", "JSONText", "SystemIO",
        ]),
        .testTarget(name: "MonitorTests", dependencies: [
            "Monitor", "LDM", "LDMWriter", "BlockDevices", "DMTable", "Activation", "DeviceMapper", "JSONText",
        ]),
        .testTarget(name: "LDMEditTests", dependencies: ["LDMEdit", "LDM", "LDMWriter", "BlockDevices"]),
        // Runs the built ldmctl (it must be built: `swift build` first).
        .testTarget(name: "CLITests", dependencies: ["LDM", "LDMWriter", "LDMEdit", "BlockDevices"]),
    ],
    swiftLanguageModes: [.v6]
)
