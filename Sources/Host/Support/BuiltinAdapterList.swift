import DiffSynth
import QwenImage
import SDXL

extension BuiltinAdapters {
    /// The families compiled into the host, registered explicitly at start-up.
    static var all: [any ModelAdapter.Type] { [QwenImageAdapter.self, SDXLAdapter.self] }
}
