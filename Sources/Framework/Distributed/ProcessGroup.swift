import Foundation

/// The processes of a data-parallel training run, as the trainer sees them: each process (rank)
/// trains on its own share of every step's rows, and after each accumulation window the ranks
/// sum their gradients so that every rank applies the identical optimiser update.
///
/// ``SingleProcess`` is the group of one (every call a no-op); ``MPIProcessGroup`` spans the
/// ranks an MPI launcher (`mpirun`, `srun`) started.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< ``size``; rank 0 writes logs and checkpoints.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// Replaces `values` on every rank by their element-wise sum over all ranks (one collective
    /// call for the whole buffer).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// The same for a few double-precision values (losses, counts, flags).
    func allReduceSum(_ values: inout [Double]) throws
    /// Ends every rank of the job now (after this rank has reported why): a failing rank must not
    /// leave the others waiting in a collective call.
    func abort(code: Int32) -> Never
}

extension ProcessGroup {
    /// Whether this is rank 0, the one that writes files and prints progress.
    public var isLeader: Bool { rank == 0 }
}

/// The group of one process: training exactly as without any distribution.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ values: inout [Double]) throws {}
    public func abort(code: Int32) -> Never { exit(code) }
}
