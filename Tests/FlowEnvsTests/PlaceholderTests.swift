import Testing

@Suite struct FlowEnvsPlaceholderTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
