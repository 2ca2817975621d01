/// Everything that can go wrong reading or writing a safetensors checkpoint.
///
/// ```swift
/// do { let ckpt = try SafeTensorsFile.read(from: "runs/reach/ckpt.safetensors") }
/// catch let error as SafeTensorsError { print(error) }   // one sentence: what is wrong, what to do
/// catch { throw error }
/// ```
///
/// Every case is something a file or a caller can cause, so none of them traps. The reader checks
/// in this order: length prefix (`truncated`, `headerTooLarge`), header JSON (`invalidHeaderJSON`),
/// each entry (`invalidEntry`, `unsupportedDType`, `negativeDimension`, `shapeOverflow`,
/// `sizeMismatch`), then the layout of the byte buffer (`overlappingTensors`, `truncated`,
/// `offsetsOutOfBounds`). A file that is a prefix of a valid file always reports `truncated`.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// Nothing exists at `path`.
    case fileNotFound(path: String)
    /// The operating system refused an operation on `path`; `reason` is its message.
    case ioFailure(path: String, reason: String)
    /// The file has `actual` bytes but its length prefix or header describes `expected` bytes.
    case truncated(expected: Int, actual: Int)
    /// The length prefix announces a header of `length` bytes, more than the 100 MB limit.
    case headerTooLarge(length: UInt64, fileSize: Int)
    /// The header is not a UTF-8 JSON object of the expected form.
    case invalidHeaderJSON(reason: String)
    /// The header entry for tensor `name` is not `{"dtype": …, "shape": […], "data_offsets": [b, e]}`.
    case invalidEntry(name: String, reason: String)
    /// Tensor `name` has a dtype string FlowTune does not read.
    case unsupportedDType(name: String, dtype: String)
    /// Tensor `name` has a dimension below zero.
    case negativeDimension(name: String, shape: [Int])
    /// The byte size of tensor `name` (product of `shape` × dtype size) does not fit in an `Int`.
    case shapeOverflow(name: String, shape: [Int])
    /// `shape` × dtype size of tensor `name` is `expectedBytes`, but its data_offsets span `actualBytes`.
    case sizeMismatch(name: String, expectedBytes: Int, actualBytes: Int)
    /// Tensor `name` has data_offsets `[begin, end]` beyond the `bufferSize`-byte data buffer.
    case offsetsOutOfBounds(name: String, begin: Int, end: Int, bufferSize: Int)
    /// Tensors `a` and `b` claim some of the same bytes.
    case overlappingTensors(a: String, b: String)
    /// No tensor is called `name`; `available` lists the names there are, sorted.
    case missingTensor(name: String, available: [String])
    /// An accessor that reads `expected` dtypes was called on a tensor of dtype `actual`.
    /// `name` is nil when the accessor was called on a bare `SafeTensor`.
    case wrongDType(name: String?, expected: [SafeTensorsDType], actual: SafeTensorsDType)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "No file at '\(path)'; check the path (relative paths start from the current directory)."
        case .ioFailure(let path, let reason):
            return "Could not access '\(path)' (\(reason)); check that the directory exists, is writable, "
                + "and that the disk is not full."
        case .truncated(let expected, let actual):
            return "The safetensors file is truncated: it should have \(expected) bytes but has \(actual); "
                + "it was probably cut off while being copied or written, so copy or save it again."
        case .headerTooLarge(let length, let fileSize):
            return "The safetensors length prefix announces a \(length)-byte header in a \(fileSize)-byte file "
                + "(the limit is \(SafeTensorsFile.maxHeaderLength) bytes); this is not a safetensors file "
                + "or it is corrupt, so check the path."
        case .invalidHeaderJSON(let reason):
            return "The safetensors header is not valid JSON of the expected form (\(reason)); the file is "
                + "corrupt or not a safetensors file, so save it again."
        case .invalidEntry(let name, let reason):
            return "The header entry for tensor '\(name)' is malformed (\(reason)); save the file again with a "
                + "safetensors writer."
        case .unsupportedDType(let name, let dtype):
            let supported = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "Tensor '\(name)' has dtype '\(dtype)', which FlowTune cannot read (it reads \(supported)); "
                + "convert the tensor to float32 or int64 before saving."
        case .negativeDimension(let name, let shape):
            return "Tensor '\(name)' has shape \(shape) with a negative dimension; the header is corrupt, so "
                + "save the file again."
        case .shapeOverflow(let name, let shape):
            return "Tensor '\(name)' has shape \(shape), whose byte size overflows a 64-bit integer; the header "
                + "is corrupt, so save the file again."
        case .sizeMismatch(let name, let expectedBytes, let actualBytes):
            return "Tensor '\(name)' needs \(expectedBytes) bytes for its shape and dtype but its data_offsets "
                + "span \(actualBytes); the header is inconsistent, so save the file again."
        case .offsetsOutOfBounds(let name, let begin, let end, let bufferSize):
            return "Tensor '\(name)' has data_offsets [\(begin), \(end)] outside the \(bufferSize)-byte data "
                + "buffer; the header is corrupt or the file is incomplete, so save it again."
        case .overlappingTensors(let a, let b):
            return "Tensors '\(a)' and '\(b)' share bytes of the data buffer; the header is corrupt, so save "
                + "the file again."
        case .missingTensor(let name, let available):
            let shown = available.prefix(20).joined(separator: ", ")
            let more = available.count > 20 ? ", … (\(available.count) in all)" : ""
            let list = available.isEmpty ? "it has no tensors" : "it has \(shown)\(more)"
            return "There is no tensor named '\(name)' in the checkpoint (\(list)); check the parameter name "
                + "and that the checkpoint comes from the same model."
        case .wrongDType(let name, let expected, let actual):
            let which = name.map { "Tensor '\($0)'" } ?? "The tensor"
            let wanted = expected.map(\.rawValue).joined(separator: ", ")
            return "\(which) has dtype \(actual.rawValue) but this accessor reads only \(wanted); use floats() "
                + "for F32/F16/BF16/F64, int64s() for I64/I32/U8/BOOL, uint8s() for U8/BOOL."
        }
    }
}
