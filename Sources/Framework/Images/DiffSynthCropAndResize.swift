import Foundation

/// The outcome of ``RGBImage/diffSynthCropAndResize(fixedHeight:fixedWidth:maxPixels:divisor:passOrder:)``.
public struct CropAndResizeResult: Sendable, Equatable {
    /// The processed image, exactly the target size.
    public let image: RGBImage
    /// Target width chosen (``RGBImage/diffSynthTargetSize(width:height:fixedHeight:fixedWidth:maxPixels:divisor:)``).
    public let width: Int
    /// Target height chosen.
    public let height: Int
    /// Whether the image was rescaled before cropping. Direct Distillation pairs each teacher
    /// image with the noise drawn from its seed at the image's size; a rescale breaks that
    /// pairing, so the trainer should warn when this is true.
    public let resized: Bool
    /// Whether pixels were cut away (or padded) by the centre crop.
    public let cropped: Bool
}

extension RGBImage {
    /// The training size DiffSynth's `ImageCropAndResize.get_height_width` picks for an image.
    ///
    /// * With both `fixedHeight` and `fixedWidth`, those, as given (no rounding).
    /// * Otherwise (dynamic): the image size; if `width * height > maxPixels`, both sides are
    ///   divided by `scale = (width * height / maxPixels) ** 0.5` and truncated; then each is
    ///   floored to a multiple of `divisor`. Smaller images are never enlarged. The result can be
    ///   0 for images narrower than `divisor`.
    ///
    /// The arithmetic is Python's: true division in double, `** 0.5` as `pow`, `int()` truncation.
    public static func diffSynthTargetSize(width: Int, height: Int, fixedHeight: Int? = nil, fixedWidth: Int? = nil,
                                           maxPixels: Int, divisor: Int) -> (width: Int, height: Int) {
        if let fixedHeight, let fixedWidth { return (fixedWidth, fixedHeight) }
        precondition(divisor > 0 && maxPixels > 0, "division factor and max_pixels must be positive")
        var w = width, h = height
        if w * h > maxPixels {
            let scale = Foundation.pow(Double(w * h) / Double(maxPixels), 0.5)
            h = Int(Double(h) / scale)
            w = Int(Double(w) / scale)
        }
        return (w / divisor * divisor, h / divisor * divisor)
    }

    /// DiffSynth's `ImageCropAndResize` (`diffsynth/core/data/operators.py`): choose the target
    /// size (``diffSynthTargetSize(width:height:fixedHeight:fixedWidth:maxPixels:divisor:)``),
    /// scale by `max(target_w / w, target_h / h)` to `(round(h * scale), round(w * scale))` with
    /// PIL bilinear (antialiased when shrinking; no resampling at all if that is the current
    /// size, like torchvision), then ``centerCropped(width:height:)`` to the target.
    ///
    /// - Throws: ``ImageError/invalidArgument(_:)`` when the target has no pixels (an image
    ///   smaller than `divisor`, or a non-positive fixed size) or the image is empty.
    public func diffSynthCropAndResize(fixedHeight: Int? = nil, fixedWidth: Int? = nil, maxPixels: Int, divisor: Int,
                                       passOrder: PILResizePassOrder = .pillow13) throws -> CropAndResizeResult {
        guard width > 0 && height > 0 else { throw ImageError.invalidArgument("cannot crop and resize an empty image") }
        guard divisor > 0, maxPixels > 0 else {
            throw ImageError.invalidArgument("division factor and max_pixels must be positive, got \(divisor) and \(maxPixels)")
        }
        let target = Self.diffSynthTargetSize(width: width, height: height, fixedHeight: fixedHeight,
                                              fixedWidth: fixedWidth, maxPixels: maxPixels, divisor: divisor)
        guard target.width > 0 && target.height > 0 else {
            throw ImageError.invalidArgument("a \(width)x\(height) image gives an empty training size "
                + "\(target.width)x\(target.height) (max_pixels \(maxPixels), division factor \(divisor))")
        }
        return cropAndResize(toWidth: target.width, height: target.height, passOrder: passOrder)
    }

    /// The resize-then-centre-crop half of DiffSynth's `ImageCropAndResize`, for a known target.
    ///
    /// - Precondition: the target size is positive and the image is not empty.
    public func cropAndResize(toWidth targetWidth: Int, height targetHeight: Int,
                              passOrder: PILResizePassOrder = .pillow13) -> CropAndResizeResult {
        precondition(targetWidth > 0 && targetHeight > 0 && width > 0 && height > 0)
        let scale = max(Double(targetWidth) / Double(width), Double(targetHeight) / Double(height))
        // Python's round() on a float: half to even.
        let newHeight = Int((Double(height) * scale).rounded(.toNearestOrEven))
        let newWidth = Int((Double(width) * scale).rounded(.toNearestOrEven))
        let resized = newWidth != width || newHeight != height
        let scaled = resized ? self.resized(width: newWidth, height: newHeight, passOrder: passOrder) : self
        let image = scaled.centerCropped(width: targetWidth, height: targetHeight)
        return CropAndResizeResult(image: image, width: targetWidth, height: targetHeight, resized: resized,
                                   cropped: scaled.width != targetWidth || scaled.height != targetHeight)
    }
}
