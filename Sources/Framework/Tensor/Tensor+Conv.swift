// 2-D convolution as GEMM over column tiles (im2col), and nearest-neighbour upsampling.

/// Geometry of a 2-D convolution, shared by the forward pass and both gradients.
struct Conv2DGeometry {
    let batch: Int, inChannels: Int, height: Int, width: Int
    let outChannels: Int, kernelHeight: Int, kernelWidth: Int, groups: Int
    let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    var outHeight: Int { (height + 2 * padding.0 - dilation.0 * (kernelHeight - 1) - 1) / stride.0 + 1 }
    var outWidth: Int { (width + 2 * padding.1 - dilation.1 * (kernelWidth - 1) - 1) / stride.1 + 1 }
    var inPerGroup: Int { inChannels / groups }
    var outPerGroup: Int { outChannels / groups }
    /// Rows of the column matrix: one per (input channel, kernel row, kernel column) of a group.
    var columnRows: Int { inPerGroup * kernelHeight * kernelWidth }
    /// A 1×1 kernel with unit stride and no padding reads the input itself as the column matrix.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == (1, 1) && padding == (0, 0)
    }
    /// Output rows per tile: the column tile stays around 4 MB so it is reused from cache by GEMM.
    /// A pointwise convolution needs no column matrix and runs as a single tile.
    var tileRows: Int { isPointwise ? outHeight : Swift.max(1, Swift.min(outHeight, (1 << 20) / Swift.max(columnRows * outWidth, 1))) }

    /// Fills `column` (`columnRows × (rows.count · outWidth)`) from one image's group channels.
    func im2col(_ image: UnsafePointer<Float>, rows: Range<Int>, into column: UnsafeMutablePointer<Float>) {
        let tileWidth = rows.count * outWidth
        let (h, w, ow) = (height, width, outWidth)
        let (sh, sw, ph, pw, dh, dw) = (stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1)
        let (kh, kw) = (kernelHeight, kernelWidth)
        nonisolated(unsafe) let src = image
        nonisolated(unsafe) let dst = column
        Parallel.forEachRange(columnRows, costPerElement: tileWidth) { range in
            for r in range {
                let c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw
                let plane = src + c * h * w
                var out = dst + r * tileWidth
                for oh in rows {
                    let ih = oh * sh - ph + ki * dh
                    if ih < 0 || ih >= h {
                        out.update(repeating: 0, count: ow)
                    } else {
                        let line = plane + ih * w
                        let offset = kj * dw - pw
                        if sw == 1 {
                            // Valid output columns are those whose input column lies inside the image.
                            let lo = Swift.min(ow, Swift.max(0, -offset)), hi = Swift.max(lo, Swift.min(ow, w - offset))
                            if lo > 0 { out.update(repeating: 0, count: lo) }
                            if hi > lo { (out + lo).update(from: line + lo + offset, count: hi - lo) }
                            if ow > hi { (out + hi).update(repeating: 0, count: ow - hi) }
                        } else {
                            for j in 0..<ow {
                                let iw = j * sw + offset
                                out[j] = (iw >= 0 && iw < w) ? line[iw] : 0
                            }
                        }
                    }
                    out += ow
                }
            }
        }
    }

    /// Adds a column-gradient tile back into one image's group channels (the adjoint of `im2col`).
    func col2im(_ column: UnsafePointer<Float>, rows: Range<Int>, into image: UnsafeMutablePointer<Float>) {
        let tileWidth = rows.count * outWidth
        let (h, w, ow) = (height, width, outWidth)
        let (sh, sw, ph, pw, dh, dw) = (stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1)
        let (kh, kw) = (kernelHeight, kernelWidth)
        nonisolated(unsafe) let src = column
        nonisolated(unsafe) let dst = image
        // Parallel over input channels: each channel's rows of the column matrix write only its own plane.
        Parallel.forEachRange(inPerGroup, costPerElement: kh * kw * tileWidth) { channels in
            for c in channels {
                let plane = dst + c * h * w
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        var col = src + ((c * kh + ki) * kw + kj) * tileWidth
                        for oh in rows {
                            let ih = oh * sh - ph + ki * dh
                            if ih >= 0 && ih < h {
                                let line = plane + ih * w
                                let offset = kj * dw - pw
                                if sw == 1 {
                                    // The output columns whose input column is inside the image, as in im2col:
                                    // a branch-free, vectorisable run.
                                    let lo = Swift.min(ow, Swift.max(0, -offset)), hi = Swift.max(lo, Swift.min(ow, w - offset))
                                    let target = line + offset
                                    for j in lo..<hi { target[j] += col[j] }
                                } else {
                                    for j in 0..<ow {
                                        let iw = j * sw + offset
                                        if iw >= 0 && iw < w { line[iw] += col[j] }
                                    }
                                }
                            }
                            col += ow
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D cross-correlation, PyTorch `F.conv2d`: input `[N, C, H, W]`, weight
    /// `[O, C/groups, kH, kW]`, optional bias `[O]`.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d needs NCHW input and OIHW weight, got \(shape) and \(weight.shape)")
        precondition(groups >= 1 && shape[1] % groups == 0 && weight.shape[0] % groups == 0 && weight.shape[1] * groups == shape[1],
                     "conv2d: input \(shape), weight \(weight.shape) and groups \(groups) do not fit")
        let geo = Conv2DGeometry(batch: shape[0], inChannels: shape[1], height: shape[2], width: shape[3],
                                 outChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                 groups: groups, stride: stride, padding: padding, dilation: dilation)
        precondition(geo.outHeight > 0 && geo.outWidth > 0, "conv2d: kernel \(weight.shape) larger than padded input \(shape)")
        if let bias { precondition(bias.shape == [geo.outChannels], "conv2d: bias \(bias.shape) does not fit \(weight.shape)") }
        let outShape = [geo.batch, geo.outChannels, geo.outHeight, geo.outWidth]
        let out = TensorStorage(uninitializedCount: outShape.elementCount)
        let outPlane = geo.outHeight * geo.outWidth
        if ShiftedConvolution.applies(geo) {
            let shifted = ShiftedConvolution(geo: geo)
            var padded = [Float](repeating: 0, count: shifted.paddedCount)
            var extended = [Float](repeating: 0, count: geo.outPerGroup * shifted.extendedColumns)
            for g in 0..<groups {
                let taps = shifted.tapWeights(weight.storage.pointer, group: g)
                for n in 0..<geo.batch {
                    padded.withUnsafeMutableBufferPointer { p in
                        shifted.pad(storage.pointer + (n * geo.inChannels + g * geo.inPerGroup) * geo.height * geo.width, into: p.baseAddress!)
                    }
                    extended.withUnsafeMutableBufferPointer { e in
                        shifted.forward(padded: padded, tapWeights: taps, extended: e.baseAddress!,
                                        into: out.pointer + (n * geo.outChannels + g * geo.outPerGroup) * outPlane)
                    }
                }
            }
        }
        let column = geo.isPointwise || ShiftedConvolution.applies(geo) ? nil
            : UnsafeMutablePointer<Float>.allocate(capacity: geo.columnRows * geo.tileRows * geo.outWidth)
        defer { column?.deallocate() }
        for n in 0..<geo.batch where !ShiftedConvolution.applies(geo) {
            for g in 0..<groups {
                let image = storage.pointer + (n * geo.inChannels + g * geo.inPerGroup) * geo.height * geo.width
                let result = out.pointer + (n * geo.outChannels + g * geo.outPerGroup) * outPlane
                let kernel = weight.storage.pointer + g * geo.outPerGroup * geo.columnRows
                if let column {
                    for start in Swift.stride(from: 0, to: geo.outHeight, by: geo.tileRows) {
                        let rows = start..<Swift.min(start + geo.tileRows, geo.outHeight)
                        geo.im2col(image, rows: rows, into: column)
                        BLAS.gemm(transposeA: false, transposeB: false, m: geo.outPerGroup, n: rows.count * geo.outWidth, k: geo.columnRows,
                                  a: kernel, b: column, c: result + start * geo.outWidth, ldc: outPlane)
                    }
                } else {
                    BLAS.gemm(transposeA: false, transposeB: false, m: geo.outPerGroup, n: outPlane, k: geo.columnRows,
                              a: kernel, b: image, c: result)
                }
            }
        }
        var output = Tensor(shape: outShape, storage: out)
        if let bias { output = Kernels.broadcast(output, bias.detached().reshaped([1, geo.outChannels, 1, 1]), Add.self) }
        let x = detached(), w = weight.detached()
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tensor.record("conv2d", inputs: inputs, output: output) { gradOut, needs in
            let gradients = Tensor.conv2dBackward(gradOut, input: x, weight: w, geometry: geo, needInput: needs[0], needWeight: needs[1])
            let gradBias: Tensor? = needs.count == 3 && needs[2] ? gradOut.sum(axes: [0, 2, 3]) : nil
            return needs.count == 3 ? [gradients.input, gradients.weight, gradBias] : [gradients.input, gradients.weight]
        }
    }

    fileprivate static func conv2dBackward(_ gradOut: Tensor, input x: Tensor, weight w: Tensor, geometry geo: Conv2DGeometry,
                                           needInput: Bool, needWeight: Bool) -> (input: Tensor?, weight: Tensor?) {
        let gradInput = needInput ? Tensor.zeros(x.shape) : nil
        let gradWeight = needWeight ? Tensor.zeros(w.shape) : nil
        let outPlane = geo.outHeight * geo.outWidth
        if ShiftedConvolution.applies(geo) {
            let shifted = ShiftedConvolution(geo: geo)
            var padded = [Float](repeating: 0, count: shifted.paddedCount)
            var extended = [Float](repeating: 0, count: geo.outPerGroup * shifted.extendedColumns)
            var tapGradients = [Float](repeating: 0, count: shifted.taps * geo.outPerGroup * geo.inPerGroup)
            for g in 0..<geo.groups {
                let taps = shifted.tapWeights(w.storage.pointer, group: g)
                tapGradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                for n in 0..<geo.batch {
                    let imageOffset = (n * geo.inChannels + g * geo.inPerGroup) * geo.height * geo.width
                    extended.withUnsafeMutableBufferPointer { e in
                        shifted.extend(gradOut.storage.pointer + (n * geo.outChannels + g * geo.outPerGroup) * outPlane, into: e.baseAddress!)
                    }
                    padded.withUnsafeMutableBufferPointer { p in
                        if needWeight {
                            shifted.pad(x.storage.pointer + imageOffset, into: p.baseAddress!)
                            tapGradients.withUnsafeMutableBufferPointer { t in
                                shifted.weightGradient(extended: extended, padded: p.baseAddress!, into: t.baseAddress!)
                            }
                        }
                        if let gradInput {
                            shifted.inputGradient(extended: extended, tapWeights: taps, padded: p.baseAddress!,
                                                  into: gradInput.storage.pointer + imageOffset)
                        }
                    }
                }
                if let gradWeight { shifted.accumulate(tapGradients: tapGradients, group: g, into: gradWeight.storage.pointer) }
            }
            return (gradInput, gradWeight)
        }
        let capacity = geo.columnRows * geo.tileRows * geo.outWidth
        let column = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let gradTile = UnsafeMutablePointer<Float>.allocate(capacity: geo.outPerGroup * geo.tileRows * geo.outWidth)
        defer { column.deallocate(); gradTile.deallocate() }
        for n in 0..<geo.batch {
            for g in 0..<geo.groups {
                let imageOffset = (n * geo.inChannels + g * geo.inPerGroup) * geo.height * geo.width
                let image = x.storage.pointer + imageOffset
                let upstream = gradOut.storage.pointer + (n * geo.outChannels + g * geo.outPerGroup) * outPlane
                let kernel = w.storage.pointer + g * geo.outPerGroup * geo.columnRows
                for start in Swift.stride(from: 0, to: geo.outHeight, by: geo.tileRows) {
                    let rows = start..<Swift.min(start + geo.tileRows, geo.outHeight)
                    let tileWidth = rows.count * geo.outWidth
                    // GEMM wants the upstream tile dense; rows of one channel are strided by the plane size.
                    let tile: UnsafePointer<Float>
                    if rows.count == geo.outHeight {
                        tile = UnsafePointer(upstream)
                    } else {
                        for o in 0..<geo.outPerGroup {
                            (gradTile + o * tileWidth).update(from: upstream + o * outPlane + start * geo.outWidth, count: tileWidth)
                        }
                        tile = UnsafePointer(gradTile)
                    }
                    if let gradWeight {
                        let col: UnsafePointer<Float>
                        if geo.isPointwise { col = UnsafePointer(image) } else {
                            geo.im2col(image, rows: rows, into: column)
                            col = UnsafePointer(column)
                        }
                        BLAS.gemm(transposeA: false, transposeB: true, m: geo.outPerGroup, n: geo.columnRows, k: tileWidth,
                                  a: tile, b: col, beta: 1, c: gradWeight.storage.pointer + g * geo.outPerGroup * geo.columnRows)
                    }
                    if let gradInput {
                        if geo.isPointwise {
                            BLAS.gemm(transposeA: true, transposeB: false, m: geo.columnRows, n: tileWidth, k: geo.outPerGroup,
                                      a: kernel, b: tile, beta: 1, c: gradInput.storage.pointer + imageOffset)
                        } else {
                            BLAS.gemm(transposeA: true, transposeB: false, m: geo.columnRows, n: tileWidth, k: geo.outPerGroup,
                                      a: kernel, b: tile, c: column)
                            geo.col2im(column, rows: rows, into: gradInput.storage.pointer + imageOffset)
                        }
                    }
                }
            }
        }
        return (gradInput, gradWeight)
    }

    /// Nearest-neighbour upsampling of an NCHW tensor by an integer `factor` (2 for the usual 2×).
    public func upsampleNearest(factor: Int = 2) -> Tensor {
        precondition(rank == 4 && factor >= 1, "upsampleNearest needs NCHW input, got \(shape)")
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h * factor, w * factor)
        let out = TensorStorage(uninitializedCount: planes * oh * ow)
        nonisolated(unsafe) let src = UnsafePointer(storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(planes * h, costPerElement: w * factor * factor) { range in
            for row in range {
                let (p, i) = row.quotientAndRemainder(dividingBy: h)
                let line = src + row * w
                let first = dst + (p * oh + i * factor) * ow
                for j in 0..<w {
                    for f in 0..<factor { first[j * factor + f] = line[j] }
                }
                for f in 1..<factor { (first + f * ow).update(from: first, count: ow) }
            }
        }
        let outShape = [shape[0], shape[1], oh, ow]
        return Tensor.record("upsample_nearest", inputs: [self], output: Tensor(shape: outShape, storage: out)) { g, _ in
            // Each input pixel receives the sum of its factor×factor block.
            [g.reshaped([planes, h, factor, w, factor]).sum(axes: [2, 4]).reshaped([shape[0], shape[1], h, w])]
        }
    }
}
