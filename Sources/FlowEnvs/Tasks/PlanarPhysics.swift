// Shared geometry and contact routines of the built-in tasks. Everything here is a pure function of
// scalars so that the per-environment loops stay free of allocation and dynamic dispatch.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func clampf(_ x: Float, _ lo: Float, _ hi: Float) -> Float { min(max(x, lo), hi) }
@inline(__always) func sinF(_ x: Float) -> Float { sinf(x) }
@inline(__always) func cosF(_ x: Float) -> Float { cosf(x) }
@inline(__always) func atan2F(_ y: Float, _ x: Float) -> Float { atan2f(y, x) }
@inline(__always) func hypotF(_ x: Float, _ y: Float) -> Float { (x * x + y * y).squareRoot() }
@inline(__always) func signF(_ x: Float) -> Float { x < 0 ? -1 : 1 }

let piF: Float = 3.14159265358979

/// `a` wrapped to [-π, π].
@inline(__always) func wrapAngle(_ a: Float) -> Float {
    a - 2 * piF * (a / (2 * piF)).rounded()
}

/// `a` wrapped to [-π/2, π/2]: the orientation difference of a body that is symmetric under a
/// half turn (a rectangle), for which θ and θ + π are the same pose.
@inline(__always) func wrapHalfTurn(_ a: Float) -> Float {
    a - piF * (a / piF).rounded()
}

/// Moves a point by (dx, dy) past an axis-aligned box, one axis at a time, stopping at the face it
/// would cross (the classic swept tile collision). The point can slide along a face but never ends
/// strictly inside the box, whatever the displacement: each axis move tests the whole segment, not
/// just its end, so there is no tunnelling at any speed. Returns whether the point hit a face.
@inline(__always) @discardableResult
func sweepPointPastBox(x: inout Float, y: inout Float, dx: Float, dy: Float,
                       minX: Float, maxX: Float, minY: Float, maxY: Float) -> Bool {
    var hit = false
    var nx = x + dx
    if y > minY && y < maxY {
        if x <= minX && nx > minX { nx = minX; hit = true } else if x >= maxX && nx < maxX { nx = maxX; hit = true }
    }
    var ny = y + dy
    if nx > minX && nx < maxX {
        if y <= minY && ny > minY { ny = minY; hit = true } else if y >= maxY && ny < maxY { ny = maxY; hit = true }
    }
    x = nx
    y = ny
    return hit
}

/// Moves a point that starts outside the circle (cx, cy, radius) by (dx, dy); if the segment enters
/// the circle the point stops at the first crossing and continues with the tangential part of the
/// remaining displacement (sliding), then is projected back onto the circle if the slide cut the
/// chord. Swept, so no tunnelling at any speed.
@inline(__always)
func sweepPointOutsideCircle(x: inout Float, y: inout Float, dx: Float, dy: Float,
                             cx: Float, cy: Float, radius: Float) {
    let fx = x - cx, fy = y - cy
    let a = dx * dx + dy * dy
    let b = 2 * (fx * dx + fy * dy)
    let c = fx * fx + fy * fy - radius * radius
    var nx = x + dx, ny = y + dy
    if a > 0 && b < 0 {
        let disc = b * b - 4 * a * c
        if disc >= 0 {
            let t = (-b - disc.squareRoot()) / (2 * a)
            if t <= 1 {
                let tc = max(t, 0)
                let hx = x + tc * dx, hy = y + tc * dy
                let rnx = (hx - cx) / radius, rny = (hy - cy) / radius
                let rx = (1 - tc) * dx, ry = (1 - tc) * dy
                let inward = rx * rnx + ry * rny
                nx = hx + rx - min(inward, 0) * rnx
                ny = hy + ry - min(inward, 0) * rny
            }
        }
    }
    let ex = nx - cx, ey = ny - cy
    let d2 = ex * ex + ey * ey
    if d2 < radius * radius {
        let d = d2.squareRoot()
        if d > 1e-6 {
            nx = cx + ex * (radius / d)
            ny = cy + ey * (radius / d)
        } else {
            nx = cx + radius
            ny = cy
        }
    }
    x = nx
    y = ny
}

/// Keeps a point within `radius` of (cx, cy) by radial projection.
@inline(__always)
func projectIntoDisk(x: inout Float, y: inout Float, cx: Float, cy: Float, radius: Float) {
    let ex = x - cx, ey = y - cy
    let d2 = ex * ex + ey * ey
    if d2 > radius * radius {
        let s = radius / d2.squareRoot()
        x = cx + ex * s
        y = cy + ey * s
    }
}

/// Quasi-static frictionless pushing of a rectangle (centre bx, by, angle th, half extents hx, hy)
/// by a kinematic disk (px, py, radius rp). If the disk overlaps the rectangle by depth δ with
/// contact normal n (from rectangle to disk) at contact point r (rectangle frame), the rectangle
/// moves as a body on a floor with an ellipsoidal limit surface (Lynch, Maekawa & Tanie 1992;
/// Goyal, Ruina & Papadopoulos 1991): a contact force F along −n produces the body twist
///
///     (v, ω) ∝ (F, (r × F) / c²),     c² = (hx² + hy²) / 3   (radius of gyration squared),
///
/// scaled so that the contact point recedes by exactly δ along −n:
///
///     s = δ / (1 + (r × F̂)² / c²),   Δp = s F̂,   Δθ = s (r × F̂) / c².
///
/// The contact is frictionless (the disk slides along the edge), so pushing off-centre turns the
/// body, as a real pusher does. Returns whether the disk touched the rectangle; `cth`/`sth` are the
/// cached cosine and sine of `th` and are rotated along when the rectangle turns.
@inline(__always)
func resolveDiskRectangleContact(px: Float, py: Float, rp: Float,
                                 bx: inout Float, by: inout Float, th: inout Float,
                                 cth: inout Float, sth: inout Float,
                                 hx: Float, hy: Float, c2: Float) -> Bool {
    let dx = px - bx, dy = py - by
    let qx = cth * dx + sth * dy
    let qy = -sth * dx + cth * dy
    let clx = clampf(qx, -hx, hx), cly = clampf(qy, -hy, hy)
    var nx: Float, ny: Float, depth: Float, rx: Float, ry: Float
    if qx != clx || qy != cly {
        let ex = qx - clx, ey = qy - cly
        let d2 = ex * ex + ey * ey
        if d2 >= rp * rp { return false }
        let d = d2.squareRoot()
        nx = ex / d
        ny = ey / d
        depth = rp - d
        rx = clx
        ry = cly
    } else {
        // Centre inside the rectangle (only possible transiently): leave through the nearest face.
        let fx = hx - abs(qx), fy = hy - abs(qy)
        if fx < fy {
            nx = signF(qx); ny = 0; depth = rp + fx; rx = nx * hx; ry = qy
        } else {
            nx = 0; ny = signF(qy); depth = rp + fy; rx = qx; ry = ny * hy
        }
    }
    let fx = -nx, fy = -ny
    let arm = rx * fy - ry * fx
    let s = depth / (1 + arm * arm / c2)
    let lx = s * fx, ly = s * fy
    bx += cth * lx - sth * ly
    by += sth * lx + cth * ly
    // |Δθ| ≤ δ / (2c) is small (< 0.1 rad for the built-in sizes and speeds), so the cached
    // cosine and sine are rotated with 5th-order Taylor factors instead of calling cos/sin: the
    // error is below 1e-9, far under Float precision.
    let dth = s * arm / c2
    let d2 = dth * dth
    let cd = 1 - d2 * (0.5 - d2 * (1.0 / 24))
    let sd = dth * (1 - d2 * ((1.0 / 6) - d2 * (1.0 / 120)))
    let nc = cth * cd - sth * sd
    sth = sth * cd + cth * sd
    cth = nc
    th = wrapAngle(th + dth)
    return true
}

/// Signed distance from point (px, py) to a rectangle (bx, by, angle via cth/sth, hx, hy):
/// negative inside.
@inline(__always)
func rectangleSignedDistance(px: Float, py: Float, bx: Float, by: Float, cth: Float, sth: Float,
                             hx: Float, hy: Float) -> Float {
    let dx = px - bx, dy = py - by
    let qx = abs(cth * dx + sth * dy) - hx
    let qy = abs(-sth * dx + cth * dy) - hy
    let ox = max(qx, 0), oy = max(qy, 0)
    return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
}
