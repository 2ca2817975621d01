import Testing

@Suite struct FlowNNPlaceholderTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
