import Testing
@testable import DiffSynth

@Test func smoke() {
    let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    #expect((a + a).scalars == [2, 4, 6, 8])
}
