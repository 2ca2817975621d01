import Foundation

/// `Tests/Fixtures/reference/vectors.json`: independent float64 numpy values for the formulas of
/// docs/algorithms.md, shared by the test targets that check formulas against it.
///
/// ```swift
/// for step in try ReferenceVectors.objects("flow_sde_step") {
///     let sigma = try step.double("sigma_t")   // compare with FlowTune's value in float32
/// }
/// ```
///
/// The file is produced by `Tests/Fixtures/reference/generate.py` (numpy only; `--check` compares it
/// with the formulas) and is found relative to this source file, inside the repository.
public enum ReferenceVectors {
    public struct Missing: Error, CustomStringConvertible {
        public let what: String
        public var description: String { "vectors.json: \(what)" }
    }

    public static let path: String = {
        // This file is <repo>/Tests/FlowTestSupport/ReferenceVectors.swift; the fixture is <repo>/Tests/Fixtures/reference.
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return tests.appendingPathComponent("Fixtures/reference/vectors.json").path
    }()

    /// `Tests/Fixtures/reference/generate.py`, the numpy script that produces the file.
    public static var generatorPath: String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("generate.py").path
    }

    public static func cases() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = json["cases"] as? [String: Any] else { throw Missing(what: "no 'cases' object") }
        return cases
    }

    /// A case that is one object, or each object of a case that is a list.
    public static func objects(_ name: String) throws -> [[String: Any]] {
        let all = try cases()
        if let list = all[name] as? [[String: Any]] { return list }
        guard let one = all[name] as? [String: Any] else { throw Missing(what: "no case '\(name)'") }
        return [one]
    }
}

extension Dictionary where Key == String, Value == Any {
    public func double(_ key: String) throws -> Double {
        guard let v = (self[key] as? NSNumber)?.doubleValue else { throw ReferenceVectors.Missing(what: "no number '\(key)'") }
        return v
    }
    public func vector(_ key: String) throws -> [Float] {
        guard let v = (self[key] as? [NSNumber])?.map({ $0.floatValue }) else { throw ReferenceVectors.Missing(what: "no vector '\(key)'") }
        return v
    }
    public func matrix(_ key: String) throws -> [[Float]] {
        guard let v = (self[key] as? [[NSNumber]])?.map({ $0.map(\.floatValue) }) else { throw ReferenceVectors.Missing(what: "no matrix '\(key)'") }
        return v
    }
}

/// Closeness at the tolerance Tests/Fixtures/reference/README.md asks for (float32 against float64 values).
public func close(_ a: Float, _ b: Float, rtol: Float = 1e-4, atol: Float = 1e-5) -> Bool {
    abs(a - b) <= atol + rtol * abs(b)
}

public func allClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1, rtol: rtol, atol: atol) }
}
