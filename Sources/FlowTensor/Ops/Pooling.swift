extension Tensor {
    /// Max pooling of NHWC images `[N, H, W, C]` over `kernel × kernel` windows, channel by channel;
    /// padded cells never win (at most half the kernel of padding, as in PyTorch). The gradient goes
    /// to the first cell holding each window's maximum.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let window = ImageWindow(input: shape, kernel: kernel, stride: stride ?? kernel, padding: padding)
        precondition(2 * padding <= kernel, "maxPool2d: padding \(padding) is more than half the kernel \(kernel)")
        let c = window.channels
        let outShape = [window.batch, window.outputHeight, window.outputWidth, c]
        let outCount = Tensor.count(of: outShape)
        var argmax = [Int](repeating: -1, count: outCount)
        let src = storage.pointer
        let y = Tensor.filled(shape: outShape) { o in
            o.initialize(repeating: -.infinity)
            argmax.withUnsafeMutableBufferPointer { best in
                window.forEachCell(images: 0..<window.batch) { row, _, pixel in
                    guard let pixel else { return }
                    for j in 0..<c where src[pixel + j] > o[row * c + j] || best[row * c + j] < 0 {
                        o[row * c + j] = src[pixel + j]
                        best[row * c + j] = pixel + j
                    }
                }
            }
        }
        let inShape = shape
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                for i in 0..<outCount { d[argmax[i]] += gp[i] }
            }
        }
    }

    /// Average pooling of NHWC images `[N, H, W, C]` over `kernel × kernel` windows, channel by
    /// channel. Padded cells are left out of the average (PyTorch's `count_include_pad=False`), so a
    /// border window averages the pixels it covers.
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let window = ImageWindow(input: shape, kernel: kernel, stride: stride ?? kernel, padding: padding)
        precondition(2 * padding <= kernel, "avgPool2d: padding \(padding) is more than half the kernel \(kernel)")
        let c = window.channels
        let outShape = [window.batch, window.outputHeight, window.outputWidth, c]
        var covered = [Float](repeating: 0, count: window.batch * window.positions)
        window.forEachCell(images: 0..<window.batch) { row, _, pixel in if pixel != nil { covered[row] += 1 } }
        let src = storage.pointer
        let y = Tensor.zeroFilled(shape: outShape) { o in
            window.forEachCell(images: 0..<window.batch) { row, _, pixel in
                guard let pixel else { return }
                Kernels.addInPlace(o.baseAddress! + row * c, src + pixel, c)
            }
            for row in 0..<covered.count {
                let scale = 1 / covered[row]
                for j in 0..<c { o[row * c + j] *= scale }
            }
        }
        let inShape = shape
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                window.forEachCell(images: 0..<window.batch) { row, _, pixel in
                    guard let pixel else { return }
                    let scale = 1 / covered[row]
                    for j in 0..<c { d[pixel + j] += gp[row * c + j] * scale }
                }
            }
        }
    }
}
