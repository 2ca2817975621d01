import FlowTuneCLI
import Foundation
import Testing

/// Every YAML file in configs/ loads, validates, and names a method the trainer can run.
@Suite struct ShippedConfigTests {
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs").path
    }()

    @Test func everyShippedConfigLoadsAndValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 28, "configs/ has \(files.count) files")
        for file in files {
            let config = try FlowTuneConfig.load(file: Self.directory + "/" + file)
            try config.validateAll()
            let stem = String(file.dropLast(5))
            #expect(stem.hasPrefix(config.env.id), "\(file) sets env.id \(config.env.id)")
            #expect(stem.contains(config.rl.algo.rawValue), "\(file) sets rl.algo \(config.rl.algo.rawValue)")
        }
    }

    /// `configs/<suite>/<task>-<algo>.yaml` sets `env.id` `<suite>/<task>` (the bridge simulators).
    @Test func everyShippedSimulatorConfigLoadsAndNamesItsEnvironment() throws {
        let suites = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: Self.directory + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
        #expect(suites.contains("metaworld"))
        for suite in suites {
            let dir = Self.directory + "/" + suite
            for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".yaml") }) {
                let config = try FlowTuneConfig.load(file: dir + "/" + file)
                try config.validateAll()
                #expect((suite + "/" + file).hasPrefix(config.env.id), "\(suite)/\(file) sets env.id \(config.env.id)")
                #expect(file.contains(config.rl.algo.rawValue), "\(file) sets rl.algo \(config.rl.algo.rawValue)")
            }
        }
    }
}
