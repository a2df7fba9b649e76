import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Data-parallel ranks over MPI: Open MPI's `libmpi.so.40`, opened at run time rather than linked
/// (as OpenBLAS is), so the binary builds and runs without MPI installed and uses it where an MPI
/// launcher started it.
///
/// Only the few calls data parallelism needs are bound: `MPI_Init_thread`, `MPI_Comm_rank`,
/// `MPI_Comm_size`, `MPI_Allreduce` (in place, sum), `MPI_Abort`, `MPI_Finalize`. The handles
/// `MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_DOUBLE` and `MPI_SUM` are, in Open MPI's ABI, the addresses
/// of the exported globals `ompi_mpi_comm_world`, `ompi_mpi_float`, … — which is why this binds
/// Open MPI (Debian's `libopenmpi-dev`, what Slurm sites run) and not MPICH, whose handles are
/// integer constants.
public final class MPIProcessGroup: ProcessGroup {
    private typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
                                                   Int32, UnsafeMutablePointer<Int32>) -> Int32
    private typealias CommQuery = @convention(c) (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> Int32
    private typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer,
                                                  UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
    private typealias Abort = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    private typealias Finalize = @convention(c) () -> Int32

    /// The library names tried, in order: `DIFFSYNTH_MPI_LIBRARY` (a path or name) when set, else
    /// Open MPI's `libmpi.so.40`, then `libmpi.so`.
    public static var libraryNames: [String] {
        ProcessInfo.processInfo.environment["DIFFSYNTH_MPI_LIBRARY"].map { [$0] } ?? ["libmpi.so.40", "libmpi.so"]
    }

    public let rank: Int
    public let size: Int
    /// Which library was opened (for the run's log line).
    public let library: String
    /// Seconds spent in `MPI_Allreduce` and bytes sent through it, for the communication figures.
    public private(set) var communicationSeconds: Double = 0
    public private(set) var communicatedBytes: Int = 0

    private let allReduce: AllReduce
    private let abortCall: Abort
    private let finalize: Finalize
    private let world: UnsafeMutableRawPointer, float: UnsafeMutableRawPointer, double: UnsafeMutableRawPointer
    private let sum: UnsafeMutableRawPointer

    /// Whether an MPI launcher started this process (Open MPI's `mpirun` sets
    /// `OMPI_COMM_WORLD_SIZE`; Slurm's `srun` and other PMI launchers set `PMI_SIZE`/`PMIX_RANK`).
    public static var launchedByMPI: Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { ProcessInfo.processInfo.environment[$0] != nil }
    }

    /// Opens Open MPI and joins the job (`MPI_Init_thread` with `MPI_THREAD_FUNNELED`: only this
    /// thread calls MPI, the engine's worker threads never do).
    /// - Throws: ``DistributedError/libraryNotFound(tried:)`` naming the packages to install, or
    ///   ``DistributedError/missingSymbol(_:library:)`` / ``DistributedError/call(_:code:)``.
    public init() throws {
        // RTLD_GLOBAL: Open MPI's own components (dlopen'ed by libmpi) resolve symbols against it.
        var opened: (UnsafeMutableRawPointer, String)?
        let names = Self.libraryNames
        for name in names { if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { opened = (handle, name); break } }
        guard let (handle, name) = opened else { throw DistributedError.libraryNotFound(tried: names) }
        func symbol(_ s: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, s) else { throw DistributedError.missingSymbol(s, library: name) }
            return p
        }
        library = name
        let initThread = unsafeBitCast(try symbol("MPI_Init_thread"), to: InitThread.self)
        let commRank = unsafeBitCast(try symbol("MPI_Comm_rank"), to: CommQuery.self)
        let commSize = unsafeBitCast(try symbol("MPI_Comm_size"), to: CommQuery.self)
        allReduce = unsafeBitCast(try symbol("MPI_Allreduce"), to: AllReduce.self)
        abortCall = unsafeBitCast(try symbol("MPI_Abort"), to: Abort.self)
        finalize = unsafeBitCast(try symbol("MPI_Finalize"), to: Finalize.self)
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        sum = try symbol("ompi_mpi_op_sum")
        var provided: Int32 = 0
        let funneled: Int32 = 1  // MPI_THREAD_FUNNELED
        try Self.check("MPI_Init_thread", initThread(nil, nil, funneled, &provided))
        var value: Int32 = 0
        try Self.check("MPI_Comm_rank", commRank(world, &value))
        rank = Int(value)
        try Self.check("MPI_Comm_size", commSize(world, &value))
        size = Int(value)
    }

    private var finalized = false

    /// Leaves the job (`MPI_Finalize`); call once every rank is done. A rank that exits without
    /// it makes `mpirun` report the job as failed.
    public func finish() {
        guard !finalized else { return }
        finalized = true
        _ = finalize()
    }

    deinit { finish() }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try reduce(values.baseAddress, count: values.count, type: float, elementSize: 4)
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { try reduce($0.baseAddress, count: count, type: double, elementSize: 8) }
    }

    public func abort(code: Int32) -> Never {
        _ = abortCall(world, code)
        exit(code)
    }

    /// In-place `MPI_Allreduce(MPI_IN_PLACE, buffer, …, MPI_SUM, MPI_COMM_WORLD)`, in chunks that
    /// fit MPI's `int` count.
    private func reduce(_ base: UnsafeMutableRawPointer?, count: Int, type: UnsafeMutableRawPointer, elementSize: Int) throws {
        guard let base, count > 0 else { return }
        let start = Date()
        let inPlace = UnsafeRawPointer(bitPattern: 1)  // MPI_IN_PLACE
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            try Self.check("MPI_Allreduce", allReduce(inPlace, base + offset * elementSize, Int32(n), type, sum, world))
            offset += n
        }
        communicationSeconds += Date().timeIntervalSince(start)
        communicatedBytes += count * elementSize
    }

    private static func check(_ call: String, _ code: Int32) throws {
        guard code == 0 else { throw DistributedError.call(call, code: code) }
    }
}

/// Why distributed training cannot start or continue. Each case names what to do.
public enum DistributedError: Error, CustomStringConvertible {
    case libraryNotFound(tried: [String])
    case missingSymbol(String, library: String)
    case call(String, code: Int32)
    case fewerRowsThanRanks(rows: Int, ranks: Int)

    public var description: String {
        switch self {
        case .libraryNotFound(let tried):
            return "MPI was asked for but not found (tried \(tried.joined(separator: ", "))): install Open MPI, e.g. `apt-get install openmpi-bin libopenmpi-dev`"
        case .missingSymbol(let symbol, let library):
            return "\(library) has no \(symbol): data-parallel training needs Open MPI (libmpi.so.40), not another MPI"
        case .call(let call, let code): return "\(call) failed with MPI error code \(code)"
        case .fewerRowsThanRanks(let rows, let ranks):
            return "the dataset has \(rows) row\(rows == 1 ? "" : "s"), fewer than the \(ranks) ranks: every rank needs at least one row per step"
        }
    }
}
