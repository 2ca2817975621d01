import SafeTensors

/// Tensors and modules to and from safetensors files.
///
/// ```swift
/// try model.saveParameters(to: "critic.safetensors", metadata: ["note": "after SFT"])
/// let meta = try model.loadParameters(from: "critic.safetensors")   // parameters replaced, metadata returned
/// ```
extension SafeTensor {
    /// An F32 safetensors entry holding the tensor's values.
    public init(_ tensor: Tensor) {
        self.init(floats: tensor.scalars, shape: tensor.shape)
    }
}

extension Tensor {
    /// A tensor from a floating-point safetensors entry (F32, F16, BF16 or F64).
    public init(_ entry: SafeTensor) throws {
        self.init(try entry.floats(), shape: entry.shape)
    }
}

extension SafeTensorsFile {
    /// The tensor stored under `name`, converted to Float32.
    public func tensorValue(_ name: String) throws -> Tensor {
        try Tensor(tensor(name))
    }

    /// All entries whose names start with `prefix + "."`, keyed by the rest of the name.
    public func tensorValues(prefix: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, entry) in tensors where name.hasPrefix(prefix + ".") {
            out[String(name.dropFirst(prefix.count + 1))] = try Tensor(entry)
        }
        return out
    }

    /// Adds `values` under `prefix + "." + name`.
    public mutating func insert(_ values: [String: Tensor], prefix: String) {
        for (name, t) in values { tensors["\(prefix).\(name)"] = SafeTensor(t) }
    }
}

extension Module {
    /// Writes the parameters (F32, by dotted name) and `metadata` to a safetensors file, atomically.
    public func saveParameters(to path: String, metadata: [String: String] = [:]) throws {
        var file = SafeTensorsFile(metadata: metadata)
        for (name, p) in namedParameters() { file.tensors[name] = SafeTensor(p.value) }
        try file.write(to: path)
    }

    /// Replaces the parameters with those of a safetensors file and returns its metadata.
    /// Names and shapes must match exactly (typed `ModuleError` otherwise); nothing is changed
    /// unless every parameter loads.
    @discardableResult
    public func loadParameters(from path: String) throws -> [String: String] {
        let file = try SafeTensorsFile.read(from: path)
        var values: [String: Tensor] = [:]
        for (name, entry) in file.tensors { values[name] = try Tensor(entry) }
        try loadParameterValues(values)
        return file.metadata
    }
}
