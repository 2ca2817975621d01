/// How each built-in task looks from a camera above the table (docs/architecture.md, "Image
/// observations"). Points such as the reach agent are drawn as discs a few pixels wide; sizes that
/// the physics has (obstacles, the push block and pusher, success radii) are drawn to scale. Height
/// in pick-place is shading: the cube and the gripper get brighter as they rise, and the gripper's
/// ring widens as it opens.
extension ReachObstacleKernel {
    func render(_ j: Int, on canvas: Canvas) {
        canvas.fillBox(x: cx[j], y: cy[j], halfWidth: hw[j], halfHeight: hh[j], color: .obstacle)
        canvas.fillDisc(x: gx[j], y: gy[j], radius: tolerance, color: .goal)
        canvas.fillDisc(x: ax[j], y: ay[j], radius: 0.05, color: .agent)
    }
}

extension PushKernel {
    func render(_ j: Int, on canvas: Canvas) {
        canvas.fillBox(x: gx[j], y: gy[j], halfWidth: hx, halfHeight: hy, angle: gth[j], color: .goalShadow)
        canvas.fillBox(x: bx[j], y: by[j], halfWidth: hx, halfHeight: hy, angle: th[j], color: .object)
        canvas.fillDisc(x: px[j], y: py[j], radius: rp, color: .agent)
    }
}

extension PickPlaceKernel {
    func render(_ j: Int, on canvas: Canvas) {
        let top = config.maxHeight
        canvas.strokeCircle(x: tx[j], y: ty[j], radius: Swift.max(config.placeTolerance, 0.06), width: 0.03, color: .goal)
        canvas.fillBox(x: ox[j], y: oy[j], halfWidth: 0.05, halfHeight: 0.05, color: PixelColor.object.scaled(0.7 + 0.8 * oz[j] / top))
        canvas.strokeCircle(x: gx[j], y: gy[j], radius: 0.06 + 0.05 * ap[j], width: 0.03,
                            color: PixelColor.agent.scaled(0.6 + 1.2 * gz[j] / top))
    }
}
