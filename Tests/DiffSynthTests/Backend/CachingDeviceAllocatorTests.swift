import Testing
@testable import DiffSynth

/// The caching device allocator's policy, on a fake raw allocator (no GPU needed).
@Suite("Caching device allocator")
struct CachingDeviceAllocatorTests {
    /// Hands out increasing addresses, records frees, and fails beyond `capacity` bytes held.
    final class FakeRaw: RawDeviceAllocator {
        struct OutOfMemory: Error {}
        var next: UInt64 = 0x1000
        var held: [UInt64: Int] = [:]
        var freed: [UInt64] = []
        let capacity: Int
        init(capacity: Int = .max) { self.capacity = capacity }
        func allocate(bytes: Int) throws -> UInt64 {
            guard held.values.reduce(0, +) + bytes <= capacity else { throw OutOfMemory() }
            defer { next += UInt64(bytes) }
            held[next] = bytes
            return next
        }
        func free(_ address: UInt64) {
            freed.append(address)
            held[address] = nil
        }
    }

    @Test("sizes round to 512 bytes, and to 2 MiB above 1 MiB")
    func rounding() {
        typealias A = CachingDeviceAllocator<FakeRaw>
        #expect(A.roundedSize(0) == 512 && A.roundedSize(1) == 512 && A.roundedSize(512) == 512 && A.roundedSize(513) == 1024)
        #expect(A.roundedSize(1 << 20) == 1 << 20)
        #expect(A.roundedSize((1 << 20) + 1) == 2 << 20 && A.roundedSize(5 << 20) == 6 << 20)
    }

    @Test("a freed block is reused for the next request of a size it fits, and never handed out twice")
    func reuse() throws {
        let allocator = CachingDeviceAllocator(raw: FakeRaw())
        let a = try allocator.allocate(bytes: 1000)
        let b = try allocator.allocate(bytes: 1000)
        #expect(a.address != b.address && a.bytes == 1024)
        allocator.free(a)
        let c = try allocator.allocate(bytes: 900)     // rounds to 1024: a's block
        #expect(c == a)
        let d = try allocator.allocate(bytes: 1024)    // nothing cached: a new block
        #expect(d.address != a.address && d.address != b.address)
        #expect(allocator.statistics.cacheHits == 1 && allocator.statistics.rawAllocations == 3)
        #expect(allocator.statistics.inUse == 3 * 1024 && allocator.statistics.reserved == 3 * 1024)
    }

    @Test("a cached block at most twice the request serves it; a larger one stays cached")
    func bestFit() throws {
        let allocator = CachingDeviceAllocator(raw: FakeRaw())
        let big = try allocator.allocate(bytes: 4096), medium = try allocator.allocate(bytes: 2048)
        allocator.free(big)
        allocator.free(medium)
        #expect(try allocator.allocate(bytes: 1500) == medium)   // 1536 → the 2048 block (≤ 2×)
        let small = try allocator.allocate(bytes: 512)            // 4096 > 2 × 512: a new block
        #expect(small.address != big.address && small.bytes == 512)
        #expect(try allocator.allocate(bytes: 3000) == big)
    }

    @Test("peak and in-use bytes follow allocate/free; releaseCached gives cached blocks back")
    func statisticsAndRelease() throws {
        let raw = FakeRaw()
        let allocator = CachingDeviceAllocator(raw: raw)
        let blocks = try (0..<4).map { _ in try allocator.allocate(bytes: 1 << 20) }
        blocks.prefix(3).forEach(allocator.free)
        #expect(allocator.statistics.peakInUse == 4 << 20 && allocator.statistics.inUse == 1 << 20)
        #expect(allocator.statistics.reserved == 4 << 20 && raw.freed.isEmpty)
        allocator.releaseCached()
        #expect(Set(raw.freed) == Set(blocks.prefix(3).map(\.address)) && allocator.statistics.reserved == 1 << 20)
    }

    @Test("out of memory: the cache is emptied and the request retried once; a real shortage still fails")
    func outOfMemoryRetry() throws {
        let raw = FakeRaw(capacity: 3 * 1024)
        let allocator = CachingDeviceAllocator(raw: raw)
        let a = try allocator.allocate(bytes: 1024), b = try allocator.allocate(bytes: 1024)
        allocator.free(a)
        allocator.free(b)
        // 2048 does not fit next to the two cached 1024s (3 KiB capacity) until they are released.
        let large = try allocator.allocate(bytes: 2048)
        #expect(large.bytes == 2048 && Set(raw.freed) == [a.address, b.address])
        #expect(throws: FakeRaw.OutOfMemory.self) { try allocator.allocate(bytes: 2048) }
    }
}
