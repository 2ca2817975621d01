/// Where a sliding window goes over a batch of NHWC images: the input's extent, the window's size,
/// its stride and the zero padding on every side. Shared by convolution and pooling.
///
/// ```swift
/// let w = ImageWindow(input: [8, 64, 64, 3], kernel: 3, stride: 2, padding: 1)
/// w.outputHeight   // 32
/// ```
public struct ImageWindow: Equatable, Sendable {
    public let batch: Int, height: Int, width: Int, channels: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int

    public init(input shape: [Int], kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        precondition(shape.count == 4, "image ops take NHWC tensors [batch, height, width, channels], got \(shape)")
        precondition(kernelHeight >= 1 && kernelWidth >= 1 && stride >= 1 && padding >= 0,
                     "window: kernel ≥ 1, stride ≥ 1 and padding ≥ 0 (got \(kernelHeight)×\(kernelWidth), stride \(stride), padding \(padding))")
        precondition(shape[1] + 2 * padding >= kernelHeight && shape[2] + 2 * padding >= kernelWidth,
                     "window: a \(kernelHeight)×\(kernelWidth) window does not fit a \(shape[1])×\(shape[2]) image with padding \(padding)")
        (batch, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
        (self.kernelHeight, self.kernelWidth, self.stride, self.padding) = (kernelHeight, kernelWidth, stride, padding)
    }

    public init(input shape: [Int], kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(input: shape, kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding)
    }

    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output positions per image.
    var positions: Int { outputHeight * outputWidth }
    /// Values under one window: the row length of the im2col matrix, in (ky, kx, channel) order.
    var patchSize: Int { kernelHeight * kernelWidth * channels }

    /// Visits every (output position, window cell) pair of images `images`, giving the im2col row
    /// (counted from the first of `images`), the cell's offset in that row, and the input pixel's offset
    /// (nil where the cell lies in the padding).
    @inline(__always)
    func forEachCell(images: Range<Int>, _ body: (_ row: Int, _ column: Int, _ pixel: Int?) -> Void) {
        let ho = outputHeight, wo = outputWidth
        for n in images {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let row = ((n - images.lowerBound) * ho + oy) * wo + ox
                    for ky in 0..<kernelHeight {
                        let iy = oy * stride - padding + ky
                        for kx in 0..<kernelWidth {
                            let ix = ox * stride - padding + kx
                            let inside = iy >= 0 && iy < height && ix >= 0 && ix < width
                            body(row, (ky * kernelWidth + kx) * channels, inside ? ((n * height + iy) * width + ix) * channels : nil)
                        }
                    }
                }
            }
        }
    }

    /// Copies the windows of `images` into `columns` (`[images · positions, patchSize]`), zeros for padding.
    func im2col(_ x: UnsafePointer<Float>, images: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let c = channels, p = patchSize
        forEachCell(images: images) { row, column, pixel in
            let dst = columns + row * p + column
            if let pixel { dst.update(from: x + pixel, count: c) } else { dst.update(repeating: 0, count: c) }
        }
    }

    /// The adjoint of `im2col`: adds each column entry back onto the pixel it was copied from.
    func col2imAdding(_ columns: UnsafePointer<Float>, images: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let c = channels, p = patchSize
        forEachCell(images: images) { row, column, pixel in
            guard let pixel else { return }
            Kernels.addInPlace(dx + pixel, columns + row * p + column, c)
        }
    }

    /// Images per im2col block, so that one block's columns stay near 4 M floats (16 MB) whatever the batch.
    var imagesPerBlock: Int { Swift.max(1, (1 << 22) / Swift.max(1, positions * patchSize)) }

    func blocks() -> [Range<Int>] {
        Swift.stride(from: 0, to: batch, by: imagesPerBlock).map { $0..<Swift.min(batch, $0 + imagesPerBlock) }
    }
}

/// 2-D convolution of NHWC images: `x` is `[N, H, W, C]`, `weight` is `[O, kh, kw, C]` (each output
/// channel's filter in the same (y, x, channel) order as the image), `bias` is `[O]`; the result is
/// `[N, Ho, Wo, O]` with `Ho = (H + 2·padding − kh) / stride + 1` (zero padding). It lowers to one
/// GEMM per block of images over their im2col matrix, `columns · weightᵀ`, so it runs on the same
/// SGEMM as the linear layers; the backward pass recomputes the columns instead of storing them.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(weight.rank == 4, "conv2d: weight must be [out, kh, kw, in], got \(weight.shape)")
    let window = ImageWindow(input: x.shape, kernelHeight: weight.shape[1], kernelWidth: weight.shape[2], stride: stride, padding: padding)
    precondition(weight.shape[3] == window.channels,
                 "conv2d: weight \(weight.shape) expects \(weight.shape[3]) input channels, the image has \(window.channels)")
    let outC = weight.shape[0], p = window.patchSize, positions = window.positions
    if let bias { precondition(bias.shape == [outC], "conv2d: bias must be [\(outC)], got \(bias.shape)") }
    let outShape = [window.batch, window.outputHeight, window.outputWidth, outC]
    let xv = x.detached(), wv = weight.detached()

    let y = Tensor.filled(shape: outShape) { o in
        let po = o.baseAddress!
        if let bias {
            for r in 0..<(window.batch * positions) { (po + r * outC).update(from: bias.storage.pointer, count: outC) }
        }
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: window.imagesPerBlock * positions * p)
        defer { columns.deallocate() }
        for images in window.blocks() {
            window.im2col(xv.storage.pointer, images: images, into: columns)
            let rows = images.count * positions
            SGEMM.multiply(transposeA: false, transposeB: true, m: rows, n: outC, k: p,
                           a: columns, lda: p, b: wv.storage.pointer, ldb: p,
                           beta: bias == nil ? 0 : 1, c: po + images.lowerBound * positions * outC, ldc: outC)
        }
    }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return Tensor.result(y, inputs: inputs) { g, needs in
        let gp = g.storage.pointer
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: window.imagesPerBlock * positions * p)
        defer { columns.deallocate() }
        var dx: Tensor? = nil, dw: Tensor? = nil
        if needs[0] {
            dx = Tensor.zeroFilled(shape: xv.shape) { d in
                for images in window.blocks() {
                    // ∂L/∂columns = g · W, then each entry flows back to its pixel.
                    let rows = images.count * positions
                    SGEMM.multiply(transposeA: false, transposeB: false, m: rows, n: p, k: outC,
                                   a: gp + images.lowerBound * positions * outC, lda: outC, b: wv.storage.pointer, ldb: p,
                                   c: columns, ldc: p)
                    window.col2imAdding(columns, images: images, into: d.baseAddress!)
                }
            }
        }
        if needs[1] {
            dw = Tensor.filled(shape: wv.shape) { d in
                // ∂L/∂W = Σ over blocks of gᵀ · columns.
                for (b, images) in window.blocks().enumerated() {
                    window.im2col(xv.storage.pointer, images: images, into: columns)
                    SGEMM.multiply(transposeA: true, transposeB: false, m: outC, n: p, k: images.count * positions,
                                   a: gp + images.lowerBound * positions * outC, lda: outC, b: columns, ldb: p,
                                   beta: b == 0 ? 0 : 1, c: d.baseAddress!, ldc: p)
                }
            }
        }
        var grads: [Tensor?] = [dx, dw]
        if bias != nil {
            grads.append(needs[2] ? g.reshapedValue([window.batch * positions, outC]).sumAxisKeepingDim(0).reshapedValue([outC]) : nil)
        }
        return grads
    }
}
