import Foundation
import Testing

/// `../shared/reference/vectors.json` (independent float64 numpy values for ALGORITHMS.md).
enum ReferenceVectors {
    static let path: String = {
        // Tests run from the package root locally and in CI; ../shared sits beside it.
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/reference/vectors.json").path
    }()

    static func cases() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(json["cases"] as? [String: Any], "vectors.json has no 'cases'")
    }

    /// A case that is one object, or each object of a case that is a list.
    static func objects(_ name: String) throws -> [[String: Any]] {
        let all = try cases()
        if let list = all[name] as? [[String: Any]] { return list }
        return [try #require(all[name] as? [String: Any], "no case '\(name)' in vectors.json")]
    }
}

extension Dictionary where Key == String, Value == Any {
    func double(_ key: String) throws -> Double {
        try #require((self[key] as? NSNumber)?.doubleValue, "missing number '\(key)'")
    }
    func vector(_ key: String) throws -> [Float] {
        try #require((self[key] as? [NSNumber])?.map { $0.floatValue }, "missing vector '\(key)'")
    }
    func matrix(_ key: String) throws -> [[Float]] {
        try #require((self[key] as? [[NSNumber]])?.map { $0.map(\.floatValue) }, "missing matrix '\(key)'")
    }
}

/// Relative closeness at the tolerance the reference README asks for (float32 vs float64 values).
func close(_ a: Float, _ b: Float, rtol: Float = 1e-4, atol: Float = 1e-5) -> Bool {
    abs(a - b) <= atol + rtol * abs(b)
}

func allClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1, rtol: rtol, atol: atol) }
}
