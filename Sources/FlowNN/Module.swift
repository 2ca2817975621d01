/// A trainable tensor owned by a module. Modules hold parameters by reference so that optimizers,
/// checkpoints and `valueAndGrad` can read and replace their values in place.
public final class Parameter {
    public var value: Tensor
    /// Frozen parameters get no gradient and are not updated by optimizers.
    public var isFrozen: Bool

    public init(_ value: Tensor, frozen: Bool = false) {
        self.value = value
        self.isFrozen = frozen
    }

    public var shape: [Int] { value.shape }
}

/// The base class of layers and models: parameters and sub-modules are found by reflection over
/// stored properties, and named by their property path (`encoder.layers.0.weight`), as in PyTorch
/// and mlx-swift.
///
/// ```swift
/// final class Critic: Module {
///     let body = MLP(widths: [8, 64, 64, 1], activation: .silu, rng: &rng)
///     func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
/// }
/// critic.parameterCount           // weights and biases of `body.layers.*`
/// ```
///
/// Properties of type `Parameter`, `Module`, arrays of either, and optionals of these are visited,
/// in declaration order (superclass properties first), so names and order are stable.
open class Module {
    public init() {}

    /// All parameters with their dotted names, in declaration order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var out: [(String, Parameter)] = []
        collect(prefix: "", into: &out)
        return out
    }

    /// Parameters that optimizers update.
    public func trainableParameters() -> [(name: String, parameter: Parameter)] {
        namedParameters().filter { !$0.parameter.isFrozen }
    }

    /// Total number of scalar parameters (frozen included).
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.count } }

    /// Sub-modules with their dotted names (not including `self`).
    public func namedModules() -> [(name: String, module: Module)] {
        var out: [(String, Module)] = []
        visitChildren { name, child in
            if case .module(let m) = child {
                out.append((name, m))
                out.append(contentsOf: m.namedModules().map { ("\(name).\($0.name)", $0.module) })
            }
        }
        return out
    }

    /// The names, as `namedParameters()` gives them, of the parameters inside `child`: this module
    /// itself or one of its sub-modules (found by identity, so a caller names a group of parameters
    /// by the module that owns them, not by a name prefix).
    public func parameterNames(inside child: Module) -> Set<String> {
        if child === self { return Set(namedParameters().map(\.name)) }
        guard let prefix = namedModules().first(where: { $0.module === child })?.name else {
            preconditionFailure("parameterNames(inside:): the module is not part of this one")
        }
        return Set(child.namedParameters().map { "\(prefix).\($0.name)" })
    }

    /// Freezes (or unfreezes) every parameter whose name starts with `prefix` ("" for all).
    /// Returns how many parameters changed, so a typo in a prefix can be detected.
    @discardableResult
    public func setFrozen(_ frozen: Bool, prefix: String = "") -> Int {
        var n = 0
        for (name, p) in namedParameters() where prefix.isEmpty || name == prefix || name.hasPrefix(prefix + ".") {
            p.isFrozen = frozen
            n += 1
        }
        return n
    }

    /// Current parameter values by name.
    public func parameterValues() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.parameter.value) })
    }

    /// Replaces parameter values by name. Every parameter must be present with its exact shape.
    public func loadParameterValues(_ values: [String: Tensor]) throws {
        let params = namedParameters()
        for (name, p) in params {
            guard let v = values[name] else {
                throw ModuleError.missingParameter(name: name, available: values.keys.sorted())
            }
            guard v.shape == p.value.shape else {
                throw ModuleError.shapeMismatch(name: name, expected: p.value.shape, actual: v.shape)
            }
        }
        let known = Set(params.map(\.name))
        let unknown = values.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty { throw ModuleError.unexpectedParameters(names: unknown) }
        for (name, p) in params { p.value = values[name]!.detached() }
    }

    enum Child {
        case parameter(Parameter)
        case module(Module)
    }

    func visitChildren(_ visit: (String, Child) -> Void) {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let mm = m {
            mirrors.append(mm)
            m = mm.superclassMirror
        }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard let label = child.label else { continue }
                visitValue(Self.cleanLabel(label), child.value, visit)
            }
        }
    }

    private func visitValue(_ name: String, _ value: Any, _ visit: (String, Child) -> Void) {
        switch value {
        case let p as Parameter: visit(name, .parameter(p))
        case let m as Module: visit(name, .module(m))
        case let ps as [Parameter]: for (i, p) in ps.enumerated() { visit("\(name).\(i)", .parameter(p)) }
        case let ms as [Module]: for (i, m) in ms.enumerated() { visit("\(name).\(i)", .module(m)) }
        default:
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let wrapped = mirror.children.first?.value {
                visitValue(name, wrapped, visit)
            } else if mirror.displayStyle == .collection {
                for (i, element) in mirror.children.enumerated() where element.value is Module || element.value is Parameter {
                    visitValue("\(name).\(i)", element.value, visit)
                }
            }
        }
    }

    /// `lazy` storage appears as `$__lazy_storage_$_name`; report it under its declared name.
    static func cleanLabel(_ label: String) -> String {
        if label.hasPrefix("$__lazy_storage_$_") { return String(label.dropFirst("$__lazy_storage_$_".count)) }
        if label.hasPrefix("_") { return String(label.dropFirst()) }
        return label
    }

    private func collect(prefix: String, into out: inout [(String, Parameter)]) {
        visitChildren { name, child in
            let full = prefix.isEmpty ? name : "\(prefix).\(name)"
            switch child {
            case .parameter(let p): out.append((full, p))
            case .module(let m): m.collect(prefix: full, into: &out)
            }
        }
    }
}

/// Errors a user can cause when loading parameters into a module.
public enum ModuleError: Error, CustomStringConvertible, Equatable {
    case missingParameter(name: String, available: [String])
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    case unexpectedParameters(names: [String])

    public var description: String {
        switch self {
        case .missingParameter(let name, let available):
            return "The checkpoint has no parameter '\(name)' (it has \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : "")); was it written by a model with a different configuration?"
        case .shapeMismatch(let name, let expected, let actual):
            return "Parameter '\(name)' has shape \(actual) in the checkpoint but the model expects \(expected); check that the model configuration matches the checkpoint's."
        case .unexpectedParameters(let names):
            return "The checkpoint has parameters the model does not: \(names.prefix(8).joined(separator: ", ")); check that the model configuration matches the checkpoint's."
        }
    }
}
