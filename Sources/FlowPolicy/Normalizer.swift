import FlowNN

/// Per-dimension affine normalisation `(x − mean)/std` with statistics from the demonstrations.
///
/// Dimensions that are constant in the data (std below `minStd`) are only centred, not scaled,
/// so padding and one-hot slots stay as they are. Statistics are part of the policy's checkpoint.
public struct Normalizer: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]
    public static let minStd: Float = 1e-4

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "mean and std differ in length")
        self.mean = mean
        self.std = std.map { $0 < Self.minStd ? 1 : $0 }
    }

    /// The identity normaliser of a given width.
    public static func identity(_ dim: Int) -> Normalizer {
        Normalizer(mean: [Float](repeating: 0, count: dim), std: [Float](repeating: 1, count: dim))
    }

    /// Statistics of the rows of `data` (`[N, dim]`, row-major), accumulated in Float64.
    ///
    /// With `stdFloor`, a dimension that moved, but by less than the floor, is scaled by the floor
    /// instead of its own std: a few demonstrations can leave a dimension almost still (MetaWorld
    /// reach's resting puck height: std 0.00012 m over 10 demonstrations), and dividing by that std
    /// turns a 1 mm bump during RL into 8 standard deviations. Constant dimensions stay centred only.
    public static func fit(_ data: [Float], dim: Int, stdFloor: Float? = nil) -> Normalizer {
        precondition(stdFloor.map { $0 > 0 && $0.isFinite } ?? true, "the std floor must be a positive number")
        precondition(dim > 0 && data.count % dim == 0 && !data.isEmpty, "data must be a non-empty [N, \(dim)] array")
        let n = data.count / dim
        var sum = [Double](repeating: 0, count: dim), sq = [Double](repeating: 0, count: dim)
        for r in 0..<n {
            for j in 0..<dim {
                let v = Double(data[r * dim + j])
                sum[j] += v
                sq[j] += v * v
            }
        }
        let mean = sum.map { $0 / Double(n) }
        let std = (0..<dim).map { j -> Float in
            let s = Float(max(sq[j] / Double(n) - mean[j] * mean[j], 0).squareRoot())
            guard let floor = stdFloor, s >= minStd else { return s }
            return max(s, floor)
        }
        return Normalizer(mean: mean.map(Float.init), std: std)
    }

    public var dim: Int { mean.count }

    /// `(x − mean)/std` over the last axis.
    public func normalize(_ x: Tensor) -> Tensor {
        (x - Tensor(mean)) / Tensor(std)
    }

    /// `x·std + mean` over the last axis.
    public func denormalize(_ x: Tensor) -> Tensor {
        x * Tensor(std) + Tensor(mean)
    }
}
