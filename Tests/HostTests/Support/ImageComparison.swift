import DiffSynth

extension RGBImage {
    /// The largest per-channel difference to `other` in grey levels (256 when the sizes differ):
    /// how the tests compare our pictures with diffusers' (which round where we truncate).
    func maxDifference(to other: RGBImage) -> Int {
        guard width == other.width, height == other.height else { return 256 }
        return zip(pixels, other.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }
}
