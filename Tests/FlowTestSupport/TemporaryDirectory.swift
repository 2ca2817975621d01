import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A new empty directory under the system temporary directory, named `<label>-XXXXXX`.
public func makeTemporaryDirectory(_ label: String = "flowtune-test") throws -> String {
    let base = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
    var template = Array((base + "/\(label)-XXXXXX").utf8CString)
    guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw TestFailure("mkdtemp failed: errno \(errno)")
    }
    return String(cString: result)
}

/// A test's own failure with a sentence that says what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
