import FlowConfig
import FlowTestSupport
import FlowTuneCLI
import Foundation
import Testing

/// `flowtune config --show`: every knob once, with its effective value and where it came from.
@Suite struct ConfigProvenanceTests {
    @Test func everyKnobIsListedOnceWithTheSourceThatWon() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = root + "/c.yaml"
        try "env:\n  id: push\nrl:\n  iterations: 40\n  gamma: 0.98\n".write(toFile: file, atomically: true, encoding: .utf8)
        let rows = try ConfigProvenance.rows(of: FlowTuneConfig.self, file: file, overrides: ["rl.iterations=50", "policy.encoder_widths=[64, 32]"])
        #expect(rows.map(\.path) == FlowTuneConfig.leafPaths)
        func row(_ path: String) -> ConfigProvenance.Row? { rows.first { $0.path == path } }
        #expect(row("rl.iterations") == .init(path: "rl.iterations", value: "50", source: .override), "--set wins over the file")
        #expect(row("rl.gamma") == .init(path: "rl.gamma", value: "0.98", source: .file))
        #expect(row("env.id") == .init(path: "env.id", value: "push", source: .file))
        #expect(row("policy.encoder_widths") == .init(path: "policy.encoder_widths", value: "[64, 32]", source: .override))
        #expect(row("rl.epochs")?.source == .defaults && row("rl.epochs")?.value == "\(FlowTuneConfig().rl.epochs)")
        #expect(row("rl.max_episode_steps")?.value == "null")
        let lines = ConfigProvenance.table(rows)
        #expect(lines.count == rows.count && lines.contains { $0.hasPrefix("rl.iterations ") && $0.hasSuffix(" --set") })
    }

    @Test func aBadOverrideFailsAsARunWould() {
        #expect(throws: ConfigError.self) { _ = try ConfigProvenance.rows(of: FlowTuneConfig.self, file: nil, overrides: ["rl.itrations=5"]) }
    }
}
