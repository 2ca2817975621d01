import FlowTuneCLI
import Testing

@Suite struct ConfigRoundTripTests {
    @Test func defaultConfigSavedAsYAMLReloadsToAnEqualConfig() throws {
        let config = FlowTuneConfig()
        let reloaded = try FlowTuneConfig.load(yaml: config.yaml())
        #expect(reloaded == config)
    }
}
