import FlowConfig
import FlowTestSupport
import Testing

/// A loss choice, as a config enumeration.
enum Loss: String, ConfigEnum { case huber, mse }

/// A config section of the kind a library or another package declares.
struct ToySection: ConfigSection {
    var width = 3
    var label = "toy"
    var ratio: Double? = nil
    var mode = Loss.mse

    init() {}

    static var fields: [ConfigField<Self>] {[
        .init("width", \.width, "how wide", .within(1...10)),
        .init("label", \.label, "what to call it"),
        .init("ratio", \.ratio, "an optional ratio", .within(0...1)),
        .init("mode", \.mode, "which loss"),
    ]}
}

@Suite struct ConfigSectionTests {
    @Test func aSectionDecodesStrictlyAndNamesTheClosestKeyOnATypo() throws {
        let toy = try ToySection.load(yaml: "width: 7\nratio: 0.5\nmode: huber\n")
        #expect(toy.width == 7 && toy.ratio == 0.5 && toy.mode == .huber && toy.label == "toy")
        let error = configError { _ = try ToySection.load(yaml: "widht: 2\n") }
        #expect(error == .unknownKey(path: "widht", section: "", knownKeys: ["width", "label", "ratio", "mode"], suggestion: "width"))
        let range = configError { _ = try ToySection.load(yaml: "", overrides: ["ratio=2"]) }
        #expect(range == .outOfRange(path: "ratio", value: "2.0", allowed: "null or between 0 and 1"))
        #expect(try ToySection.load(yaml: toy.yaml()) == toy)
    }

    @Test func closestNameForgivesOneTypoAndSpellingStylesButNotUnrelatedWords() {
        #expect(ClosestName.find("gama", in: ["gamma", "gae_lambda"]) == "gamma")
        #expect(ClosestName.find("numEnvs", in: ["id", "num_envs"]) == "num_envs")
        #expect(ClosestName.find("banana", in: ["id", "num_envs"]) == nil)
    }

    @Test func boundsDescribeThemselvesInWords() {
        #expect(ConfigBounds<Double>.within(0...1).description == "between 0 and 1")
        #expect(ConfigBounds<Int>.atLeast(1).description == "at least 1")
        #expect(ConfigBounds<Double>.greaterThan(0).description == "greater than 0")
        #expect(ConfigBounds<Double>.strictlyBetween(0, 1).description == "greater than 0 and less than 1")
        #expect(!ConfigBounds<Double>.greaterThan(0).contains(.nan))
        #expect(!ConfigBounds<Double>.atLeast(0).contains(.nan))
    }
}
