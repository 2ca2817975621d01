import FlowTestSupport
import Foundation
import Testing

/// The committed reference vectors are what their generator computes from the formulas
/// (`Tests/Fixtures/reference/generate.py --check`), so a hand edit or a stale file cannot slip in.
@Suite struct ReferenceVectorGeneratorTests {
    @Test(.requiresPython("numpy"))
    func generatorReproducesTheCommittedReferenceVectors() throws {
        let result = try TestPython.run("""
            import runpy, sys
            path = sys.argv[1]
            sys.argv = [path, "--check"]
            runpy.run_path(path, run_name="__main__")
            """, [ReferenceVectors.generatorPath])
        #expect(result.status == 0, "generate.py --check: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("matches"), "\(result.stdout)")
    }
}
