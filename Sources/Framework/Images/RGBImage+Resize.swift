/// Which Pillow release's pass order ``RGBImage/resized(width:height:passOrder:)`` reproduces.
/// The two differ by at most one level in some pixels, only when both dimensions change.
public enum PILResizePassOrder: Sendable {
    /// Pillow 13 and later: vertical pass first when the height shrinks by more than twice as
    /// many pixels as the width.
    case pillow13
    /// Pillow 12 and earlier: always horizontal first.
    case horizontalFirst
}

extension RGBImage {
    /// The image resized to `width` x `height` with PIL's BILINEAR filter — antialiased when
    /// shrinking — bit-identical to `Image.resize((width, height), Image.BILINEAR)` and hence to
    /// torchvision's `functional.resize` on a PIL image. See ``BilinearResampler``.
    ///
    /// - Parameter passOrder: the Pillow generation to match (Pillow 13 by default).
    /// - Precondition: `width` and `height` are positive and the image is not empty.
    public func resized(width: Int, height: Int, passOrder: PILResizePassOrder = .pillow13) -> RGBImage {
        precondition(width > 0 && height > 0, "resize target \(width)x\(height) must be positive")
        precondition(self.width > 0 && self.height > 0, "cannot resize an empty \(self.width)x\(self.height) image")
        return BilinearResampler.resize(self, width: width, height: height, passOrder: passOrder)
    }

    /// The `width` x `height` region at the centre, as torchvision's `center_crop`: the offsets
    /// are `round((H - height) / 2)` and `round((W - width) / 2)` with Python's half-to-even
    /// rounding; where the crop is larger than the image, the image is first padded with black
    /// (`(crop - size) // 2` before, the rest after), as torchvision does.
    ///
    /// - Precondition: `width` and `height` are non-negative.
    public func centerCropped(width: Int, height: Int) -> RGBImage {
        precondition(width >= 0 && height >= 0, "crop size \(width)x\(height) must not be negative")
        var source = self
        if width > self.width || height > self.height {
            let padLeft = width > self.width ? (width - self.width) / 2 : 0
            let padTop = height > self.height ? (height - self.height) / 2 : 0
            let paddedWidth = max(width, self.width), paddedHeight = max(height, self.height)
            source = RGBImage(width: paddedWidth, height: paddedHeight) { out in
                out.update(repeating: 0)
                pixels.withUnsafeBufferPointer { src in
                    for y in 0..<self.height {
                        let dst = out.baseAddress! + ((y + padTop) * paddedWidth + padLeft) * 3
                        dst.update(from: src.baseAddress! + y * self.width * 3, count: self.width * 3)
                    }
                }
            }
            if width == source.width && height == source.height { return source }
        }
        let top = Int((Double(source.height - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(source.width - width) / 2).rounded(.toNearestOrEven))
        return source.cropped(x: left, y: top, width: width, height: height)
    }

    /// The `width` x `height` region with top-left corner (`x`, `y`).
    ///
    /// - Precondition: the region lies inside the image.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= self.width && y + height <= self.height,
                     "crop (\(x), \(y), \(width)x\(height)) outside \(self.width)x\(self.height) image")
        if x == 0 && y == 0 && width == self.width && height == self.height { return self }
        return RGBImage(width: width, height: height) { out in
            pixels.withUnsafeBufferPointer { src in
                for row in 0..<height {
                    (out.baseAddress! + row * width * 3)
                        .update(from: src.baseAddress! + ((y + row) * self.width + x) * 3, count: width * 3)
                }
            }
        }
    }
}
