import Foundation

/// How a trainer turns dataset image files into tensors: DiffSynth-Studio's
/// `LoadImage >> ImageCropAndResize(height, width, max_pixels, f, f)` with `f` the family's
/// resolution multiple, then `x · (2/255) − 1`.
public struct DatasetImages: Sendable {
    /// Fixed training size (`--height`/`--width`); nil for dynamic resolution.
    public let height: Int?
    public let width: Int?
    /// Dynamic resolution: images with more pixels are scaled down (`--max_pixels`).
    public let maxPixels: Int
    /// Sizes are floored to multiples of this.
    public let multiple: Int

    public init(height: Int?, width: Int?, maxPixels: Int, multiple: Int) {
        self.height = height
        self.width = width
        self.maxPixels = maxPixels
        self.multiple = multiple
    }

    /// The training tensor `[1, 3, H, W]` in [-1, 1] of an image file.
    public func load(_ url: URL) throws -> Tensor {
        let image = try RGBImage(contentsOf: url)
        return try image.diffSynthCropAndResize(fixedHeight: height, fixedWidth: width, maxPixels: maxPixels, divisor: multiple).image.tensor()
    }

    /// The size an image of `width × height` is trained at.
    public func trainingSize(width: Int, height: Int) -> (width: Int, height: Int) {
        RGBImage.diffSynthTargetSize(width: width, height: height, fixedHeight: self.height, fixedWidth: self.width,
                                     maxPixels: maxPixels, divisor: multiple)
    }

    /// Checks every sample's image up front (so a corrupt or missing file stops the run before it
    /// starts, naming the row) and returns one warning per image that would be resized or
    /// cropped: Direct Distillation regenerates the teacher's noise at the *training* size, so a
    /// resized teacher image no longer pairs with its seed.
    public func check(_ samples: [TrainingSample]) throws -> [String] {
        var warnings: [String] = []
        for sample in samples {
            guard let url = sample.image else { continue }
            let image: RGBImage
            do { image = try RGBImage(contentsOf: url) } catch {
                throw DatasetError.unreadableImage(row: sample.row.location, path: url.path, reason: "\(error)")
            }
            let size = trainingSize(width: image.width, height: image.height)
            guard size.width > 0, size.height > 0 else {
                throw DatasetError.resolutionMismatch(row: sample.row.location, path: url.path,
                                                      reason: "\(image.width)x\(image.height) gives an empty training size")
            }
            if size.width != image.width || size.height != image.height {
                warnings.append("\(sample.row.location): \(url.lastPathComponent) is \(image.width)x\(image.height) and will be resized to \(size.width)x\(size.height); "
                                + "its seed's noise is drawn at the new size, so it no longer matches the teacher's — set --height/--width to the generation size")
            }
        }
        return warnings
    }
}
