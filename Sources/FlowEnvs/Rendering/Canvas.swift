/// An 8-bit RGB colour.
public struct PixelColor: Equatable, Sendable {
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// The colour with each channel multiplied by `factor` (clamped to [0, 255]), for shading.
    public func scaled(_ factor: Float) -> PixelColor {
        func s(_ v: UInt8) -> UInt8 { UInt8(Swift.min(255, Swift.max(0, (Float(v) * factor).rounded()))) }
        return PixelColor(s(red), s(green), s(blue))
    }

    static let table = PixelColor(205, 200, 190)
    static let agent = PixelColor(30, 90, 210)
    static let goal = PixelColor(60, 170, 80)
    static let goalShadow = PixelColor(160, 215, 160)
    static let obstacle = PixelColor(70, 70, 70)
    static let object = PixelColor(210, 60, 50)
}

/// A `size × size` RGB image (rows top to bottom, 3 bytes a pixel) that a scene is drawn on in world
/// coordinates: the table's square [−1, 1]² fills the image, x to the right and y up. A pixel takes
/// a shape's colour when its centre lies inside the shape (no anti-aliasing, so frames are exact
/// functions of the state); shapes smaller than a pixel still cover the pixel under their centre.
struct Canvas {
    let size: Int
    let pixels: UnsafeMutablePointer<UInt8>

    /// World units per pixel.
    var pixelSize: Float { 2 / Float(size) }

    func clear(_ color: PixelColor) {
        for p in 0..<(size * size) {
            pixels[3 * p] = color.red
            pixels[3 * p + 1] = color.green
            pixels[3 * p + 2] = color.blue
        }
    }

    @inline(__always) private func put(_ row: Int, _ column: Int, _ color: PixelColor) {
        let p = 3 * (row * size + column)
        pixels[p] = color.red
        pixels[p + 1] = color.green
        pixels[p + 2] = color.blue
    }

    /// The pixel rows and columns whose centres may lie within `extent` of (x, y), and each one's centre.
    @inline(__always) private func forEachPixel(near x: Float, _ y: Float, within extent: Float,
                                                _ body: (_ row: Int, _ column: Int, _ wx: Float, _ wy: Float) -> Void) {
        let scale = Float(size) / 2
        let c0 = Swift.max(0, Int(((x - extent + 1) * scale).rounded(.down)))
        let c1 = Swift.min(size - 1, Int(((x + extent + 1) * scale).rounded(.down)))
        let r0 = Swift.max(0, Int(((1 - y - extent) * scale).rounded(.down)))
        let r1 = Swift.min(size - 1, Int(((1 - y + extent) * scale).rounded(.down)))
        guard c0 <= c1, r0 <= r1 else { return }
        for row in r0...r1 {
            let wy = 1 - (Float(row) + 0.5) / scale
            for column in c0...c1 { body(row, column, (Float(column) + 0.5) / scale - 1, wy) }
        }
    }

    /// A filled disc.
    func fillDisc(x: Float, y: Float, radius: Float, color: PixelColor) {
        let r = Swift.max(radius, 0.75 * pixelSize)
        forEachPixel(near: x, y, within: r) { row, column, wx, wy in
            if (wx - x) * (wx - x) + (wy - y) * (wy - y) <= r * r { put(row, column, color) }
        }
    }

    /// A ring of the given width whose outer edge is `radius`.
    func strokeCircle(x: Float, y: Float, radius: Float, width: Float, color: PixelColor) {
        let outer = Swift.max(radius, 0.75 * pixelSize), inner = Swift.max(0, outer - Swift.max(width, pixelSize))
        forEachPixel(near: x, y, within: outer) { row, column, wx, wy in
            let d2 = (wx - x) * (wx - x) + (wy - y) * (wy - y)
            if d2 <= outer * outer && d2 >= inner * inner { put(row, column, color) }
        }
    }

    /// A filled rectangle centred at (x, y) with half extents along its own axes, turned by `angle`
    /// (radians, counter-clockwise).
    func fillBox(x: Float, y: Float, halfWidth: Float, halfHeight: Float, angle: Float = 0, color: PixelColor) {
        let hw = Swift.max(halfWidth, 0.5 * pixelSize), hh = Swift.max(halfHeight, 0.5 * pixelSize)
        let c = cosF(angle), s = sinF(angle)
        forEachPixel(near: x, y, within: (hw * hw + hh * hh).squareRoot()) { row, column, wx, wy in
            let dx = wx - x, dy = wy - y
            if Swift.abs(c * dx + s * dy) <= hw && Swift.abs(-s * dx + c * dy) <= hh { put(row, column, color) }
        }
    }
}
