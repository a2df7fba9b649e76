/// Device memory as the backend hands it out: what a raw allocator (the driver's `cuMemAlloc`)
/// provides, behind a cache of freed blocks, as PyTorch's CUDA caching allocator does —
/// `cuMemAlloc`/`cuMemFree` synchronise the device and cost tens of microseconds, and a training
/// step frees and reallocates the same sizes every iteration.
///
/// Sizes are rounded up to 512 bytes (small) or to 2 MiB beyond 1 MiB, so that nearby sizes
/// share blocks; a request takes the smallest cached block that fits and is at most twice its
/// size. When the raw allocator fails, the cache is emptied and the request tried once more.
/// Not thread-safe: one per device, used from the thread that drives the device.
public final class CachingDeviceAllocator<Raw: RawDeviceAllocator> {
    /// A block handed out: its device address and rounded size.
    public struct Block: Hashable, Sendable {
        public let address: UInt64
        public let bytes: Int
    }

    /// Counters, as `torch.cuda.memory_stats` reports them.
    public struct Statistics: Equatable, Sendable {
        /// Bytes in blocks handed out now.
        public var inUse = 0
        /// Bytes held from the raw allocator (in use + cached).
        public var reserved = 0
        /// The most `inUse` has been.
        public var peakInUse = 0
        /// Requests served from the cache.
        public var cacheHits = 0
        /// Requests that went to the raw allocator.
        public var rawAllocations = 0
    }

    /// The allocator underneath.
    public let raw: Raw
    public private(set) var statistics = Statistics()
    /// Cached (freed) blocks by rounded size.
    private var cached: [Int: [UInt64]] = [:]
    /// Blocks handed out, by address.
    private var live: [UInt64: Int] = [:]

    public init(raw: Raw) { self.raw = raw }

    /// The size a request of `bytes` is served with.
    public static func roundedSize(_ bytes: Int) -> Int {
        let size = max(bytes, 1)
        if size <= 1 << 20 { return (size + 511) / 512 * 512 }
        let large = 2 << 20
        return (size + large - 1) / large * large
    }

    /// A block of at least `bytes`.
    public func allocate(bytes: Int) throws -> Block {
        let size = Self.roundedSize(bytes)
        // The smallest cached size that fits without wasting more than half the block.
        if let fit = cached.keys.filter({ $0 >= size && $0 <= 2 * size }).min(), var blocks = cached[fit], let address = blocks.popLast() {
            cached[fit] = blocks.isEmpty ? nil : blocks
            statistics.cacheHits += 1
            return handOut(Block(address: address, bytes: fit))
        }
        let address: UInt64
        do {
            address = try raw.allocate(bytes: size)
        } catch {
            // Out of memory, perhaps only because the cache holds it: give the cache back, retry once.
            guard statistics.reserved > statistics.inUse else { throw error }
            releaseCached()
            address = try raw.allocate(bytes: size)
        }
        statistics.rawAllocations += 1
        statistics.reserved += size
        return handOut(Block(address: address, bytes: size))
    }

    /// Returns `block` to the cache (not to the raw allocator).
    public func free(_ block: Block) {
        guard live.removeValue(forKey: block.address) != nil else {
            preconditionFailure("CachingDeviceAllocator: block \(block.address) freed twice or never allocated here")
        }
        statistics.inUse -= block.bytes
        cached[block.bytes, default: []].append(block.address)
    }

    /// Gives every cached block back to the raw allocator (`torch.cuda.empty_cache`).
    public func releaseCached() {
        for (size, addresses) in cached {
            for address in addresses { raw.free(address) }
            statistics.reserved -= size * addresses.count
        }
        cached = [:]
    }

    private func handOut(_ block: Block) -> Block {
        live[block.address] = block.bytes
        statistics.inUse += block.bytes
        statistics.peakInUse = max(statistics.peakInUse, statistics.inUse)
        return block
    }
}

/// What the caching allocator stands on: the driver's `cuMemAlloc`/`cuMemFree`, or a fake in tests.
public protocol RawDeviceAllocator {
    func allocate(bytes: Int) throws -> UInt64
    func free(_ address: UInt64)
}

extension CUDADriver: RawDeviceAllocator {}
