import Foundation
import Testing
@testable import DiffSynth

@Suite("Dataset images")
struct DatasetImagesTests {
    /// A dataset folder with one image of `width × height` (or corrupt bytes).
    static func sample(width: Int, height: Int, corrupt: Bool = false) throws -> TrainingSample {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("teacher.png")
        if corrupt {
            try Data("not a png".utf8).write(to: url)
        } else {
            try RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { UInt8($0 % 251) }).write(to: url, format: .png)
        }
        try Data("image,prompt,seed\nteacher.png,x,1\n".utf8).write(to: folder.appendingPathComponent("metadata.csv"))
        return try TrainingDataset.load(metadata: folder.appendingPathComponent("metadata.csv"), basePath: folder,
                                        dataFileKeys: ["image"], extraInputs: ["seed"])[0]
    }

    @Test("an image already at the training size passes silently and loads as x·2/255 − 1")
    func exactSize() throws {
        let images = DatasetImages(height: 32, width: 48, maxPixels: 1 << 20, multiple: 16)
        let sample = try Self.sample(width: 48, height: 32)
        #expect(try images.check([sample]).isEmpty)
        let tensor = try images.load(sample.image!)
        #expect(tensor.shape == [1, 3, 32, 48])
        // Planar layout: element 1 is pixel 1's red byte, 3.
        #expect(tensor.scalars[1] == Float(3) * Float(2.0 / 255.0) - 1)
    }

    @Test("resizing warns that the seed no longer pairs with the image, naming the row and both sizes")
    func resizeWarning() throws {
        let fixed = DatasetImages(height: 32, width: 32, maxPixels: 1 << 20, multiple: 16)
        let warnings = try fixed.check([try Self.sample(width: 48, height: 32)])
        #expect(warnings.count == 1 && warnings[0].contains("line 2") && warnings[0].contains("48x32") && warnings[0].contains("32x32"))
        let dynamic = DatasetImages(height: nil, width: nil, maxPixels: 32 * 32, multiple: 16)
        #expect(try dynamic.check([try Self.sample(width: 64, height: 64)]).count == 1)
        #expect(try dynamic.load((try Self.sample(width: 64, height: 64)).image!).shape == [1, 3, 32, 32])
    }

    @Test("a corrupt image stops the run before training, naming the row and file")
    func corrupt() throws {
        let images = DatasetImages(height: nil, width: nil, maxPixels: 1 << 20, multiple: 16)
        do {
            _ = try images.check([try Self.sample(width: 1, height: 1, corrupt: true)])
            Issue.record("expected an error")
        } catch let error as DatasetError {
            #expect("\(error)".contains("line 2") && "\(error)".contains("teacher.png"))
        }
    }
}
