import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth-bench`: throughput of the engine's hot paths next to the raw library calls they
/// are built on (cblas_sgemm, memcpy), printed as Markdown tables for BENCHMARKS.md.
@main
struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffsynth-bench",
        abstract: "Engine throughput: matmul, linear, conv2d, attention, element-wise, norms, softmax, autograd overhead.")

    @Option(help: "Seconds to spend measuring each case (the best of the repetitions is reported).")
    var seconds: Double = 0.5

    @Flag(help: "Only the small cases (a smoke run).")
    var quick = false

    mutating func run() {
        let clock = Timer(budget: quick ? 0.05 : seconds)
        print("# diffsynth-bench — \(Machine.description)\n")
        Suites(timer: clock, quick: quick).runAll()
    }
}

/// Best-of-N wall-clock timing within a time budget.
struct Timer {
    let budget: Double

    /// Seconds per call: the fastest of as many repetitions as fit in the budget (at least 3).
    func measure(_ body: () -> Void) -> Double {
        body() // warm-up: page in buffers, let OpenBLAS start its threads
        var best = Double.infinity
        let start = Date()
        var runs = 0
        while runs < 3 || Date().timeIntervalSince(start) < budget {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let t1 = DispatchTime.now().uptimeNanoseconds
            best = min(best, Double(t1 - t0) / 1e9)
            runs += 1
            if runs > 10_000 { break }
        }
        return best
    }
}

enum Machine {
    static var description: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(BLAS.configuration)"
    }
}

func random(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var g = TorchGenerator(seed: seed)
    return Tensor(shape: shape, scalars: g.rand(count: shape.elementCount).map { $0 * 2 - 1 })
}

func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

struct Suites {
    let timer: Timer
    let quick: Bool

    func runAll() {
        matmul()
        linear()
        conv()
        attention()
        elementwise()
        tape()
    }

    /// Raw `cblas_sgemm` on preallocated buffers: the ceiling for every GEMM-based op.
    func rawGemm(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k); a.initialize(repeating: 0.5, count: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n); b.initialize(repeating: 0.25, count: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n); c.initialize(repeating: 0, count: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        return timer.measure { BLAS.gemm(transposeA: transA, transposeB: transB, m: m, n: n, k: k, a: a, b: b, c: c) }
    }

    func gflops(_ flops: Double, _ seconds: Double) -> Double { flops / seconds / 1e9 }

    func matmul() {
        print("## Matrix multiply (GFLOP/s)\n")
        print("| shape (M=N=K) | raw sgemm | Tensor.matmul | ratio |")
        print("|---|---|---|---|")
        for size in quick ? [256] : [256, 512, 1024, 2048] {
            let a = random([size, size]), b = random([size, size], seed: 2)
            let flops = 2.0 * Double(size * size * size)
            let raw = rawGemm(m: size, n: size, k: size)
            let ours = timer.measure { _ = a.matmul(b) }
            print("| \(size) | \(format(gflops(flops, raw))) | \(format(gflops(flops, ours))) | \(format(raw / ours * 100, 0)) % |")
        }
        print()
    }

    func linear() {
        print("## Linear, forward + backward (GFLOP/s)\n")
        print("Tokens × in → out; backward forms both input and weight gradients. Raw = the three sgemm calls alone.\n")
        print("| tokens × in → out | raw sgemm ×3 | forward+backward | ratio |")
        print("|---|---|---|---|")
        for (rows, inF, outF) in quick ? [(256, 256, 256)] : [(1024, 1024, 1024), (4096, 768, 3072), (2048, 3072, 768)] {
            let x = random([rows, inF]).requiringGrad()
            let w = Parameter(name: "w", value: random([outF, inF], seed: 2))
            let b = Parameter(name: "b", value: random([outF], seed: 3))
            let flops = 3 * 2.0 * Double(rows * inF * outF)
            let raw = rawGemm(m: rows, n: outF, k: inF, transB: true) + rawGemm(m: rows, n: inF, k: outF)
                + rawGemm(m: outF, n: inF, k: rows, transA: true)
            let upstream = Tensor.ones([rows, outF])
            let ours = timer.measure {
                let y = x.linear(weight: w.value, bias: b.value)
                y.backward(upstream)
                w.zeroGrad(); b.zeroGrad(); x.zeroGrad()
            }
            print("| \(rows) × \(inF) → \(outF) | \(format(gflops(flops, raw))) | \(format(gflops(flops, ours))) | \(format(raw / ours * 100, 0)) % |")
        }
        print()
    }

    func conv() {
        print("## Conv2d 3×3, padding 1 (GFLOP/s)\n")
        print("Raw = sgemm at the im2col GEMM shapes (forward: O × C·9 × H·W; backward: the weight and column gradients).\n")
        print("| input → out | pass | raw sgemm | conv2d | ratio |")
        print("|---|---|---|---|---|")
        let cases = quick ? [(1, 32, 32, 32)] : [(1, 128, 64, 128), (1, 64, 128, 64), (1, 256, 32, 256)]
        for (n, c, hw, o) in cases {
            let x = random([n, c, hw, hw]).requiringGrad()
            let w = Parameter(name: "w", value: random([o, c, 3, 3], seed: 2))
            let flops = 2.0 * Double(n * o * c * 9 * hw * hw)
            let rawForward = Double(n) * rawGemm(m: o, n: hw * hw, k: c * 9)
            let forward = timer.measure { _ = withNoGrad { x.conv2d(weight: w.value, padding: (1, 1)) } }
            let rawBackward = Double(n) * (rawGemm(m: o, n: c * 9, k: hw * hw, transB: true) + rawGemm(m: c * 9, n: hw * hw, k: o, transA: true))
            let y = x.conv2d(weight: w.value, padding: (1, 1))
            let upstream = Tensor.ones(y.shape)
            let both = timer.measure {
                let y = x.conv2d(weight: w.value, padding: (1, 1))
                y.backward(upstream)
                w.zeroGrad(); x.zeroGrad()
            }
            let backward = max(both - forward, 1e-9)
            let shape = "\(n)×\(c)×\(hw)×\(hw) → \(o)"
            print("| \(shape) | forward | \(format(gflops(flops, rawForward))) | \(format(gflops(flops, forward))) | \(format(rawForward / forward * 100, 0)) % |")
            print("| \(shape) | backward | \(format(gflops(2 * flops, rawBackward))) | \(format(gflops(2 * flops, backward))) | \(format(rawBackward / backward * 100, 0)) % |")
        }
        print()
    }

    func attention() {
        print("## Scaled dot-product attention (GFLOP/s)\n")
        print("| B × heads × tokens × dim | pass | raw sgemm (QKᵀ, PV) | attention | ratio |")
        print("|---|---|---|---|---|")
        let (b, h, l, d) = quick ? (1, 2, 256, 64) : (1, 8, 1024, 64)
        let q = random([b, h, l, d]).requiringGrad(), k = random([b, h, l, d], seed: 2).requiringGrad()
        let v = random([b, h, l, d], seed: 3).requiringGrad()
        let flops = 4.0 * Double(b * h * l * l * d)
        let raw = Double(b * h) * (rawGemm(m: l, n: l, k: d, transB: true) + rawGemm(m: l, n: d, k: l))
        let forward = timer.measure { _ = withNoGrad { Tensor.scaledDotProductAttention(query: q, key: k, value: v) } }
        let upstream = Tensor.ones([b, h, l, d])
        let both = timer.measure {
            let o = Tensor.scaledDotProductAttention(query: q, key: k, value: v)
            o.backward(upstream)
            q.zeroGrad(); k.zeroGrad(); v.zeroGrad()
        }
        let backward = both - forward
        // Backward runs five GEMMs of the forward's size (QKᵀ recomputed, dV, dP, dQ, dK).
        let rawBackward = raw * 2.5
        let label = "\(b) × \(h) × \(l) × \(d)"
        print("| \(label) | forward | \(format(gflops(flops, raw))) | \(format(gflops(flops, forward))) | \(format(raw / forward * 100, 0)) % |")
        print("| \(label) | backward | \(format(gflops(2.5 * flops, rawBackward))) | \(format(gflops(2.5 * flops, backward))) | \(format(rawBackward / backward * 100, 0)) % |")
        print()
    }

    func elementwise() {
        let count = quick ? 1 << 20 : 1 << 22
        print("## Memory-bound ops on \(count / (1 << 20)) M elements (GB/s of bytes read + written)\n")
        let bytes = Double(count * 4)
        let src = UnsafeMutablePointer<Float>.allocate(capacity: count); src.initialize(repeating: 1, count: count)
        let dst = UnsafeMutablePointer<Float>.allocate(capacity: count); dst.initialize(repeating: 0, count: count)
        defer { src.deallocate(); dst.deallocate() }
        let memcpyTime = timer.measure { memcpy(dst, src, count * 4) }
        let memcpyRate = 2 * bytes / memcpyTime / 1e9
        print("memcpy (one core): \(format(memcpyRate)) GB/s\n")
        print("| op | bytes moved | GB/s | vs memcpy |")
        print("|---|---|---|---|")
        let a = random([count]), b = random([count], seed: 2)
        let rows = random([count / 1024, 1024], seed: 3)
        let weight = random([1024], seed: 4), bias = random([1024], seed: 5)
        let image = random([1, 128, count / (128 * 1024), 1024], seed: 6)
        let channelWeight = random([128], seed: 7)
        let cases: [(String, Double, () -> Void)] = [
            ("add (a + b)", 3, { _ = a + b }),
            ("mul by scalar", 2, { _ = a * 1.5 }),
            ("add bias (broadcast [1024])", 2, { _ = rows + weight }),
            ("exp", 2, { _ = a.exp() }),
            ("silu", 2, { _ = a.silu() }),
            ("gelu (tanh)", 2, { _ = a.gelu(approximate: .tanh) }),
            ("sum (all)", 1, { _ = a.sum() }),
            ("layer norm [*, 1024]", 2, { _ = rows.layerNorm(weight: weight, bias: bias) }),
            ("RMS norm [*, 1024]", 2, { _ = rows.rmsNorm(weight: weight) }),
            ("group norm 32 groups", 2, { _ = image.groupNorm(groups: 32, weight: channelWeight, bias: channelWeight) }),
            ("softmax [*, 1024]", 2, { _ = rows.softmax() }),
            ("transpose [*, 1024] → [1024, *]", 2, { _ = rows.transposed() }),
        ]
        for (name, factor, body) in cases {
            let t = timer.measure(body)
            let rate = factor * bytes / t / 1e9
            print("| \(name) | \(Int(factor)) × \(count / (1 << 18)) MB | \(format(rate)) | \(format(rate / memcpyRate * 100, 0)) % |")
        }
        print()
    }

    func tape() {
        print("## Autograd overhead per recorded op (tiny tensors)\n")
        let x = Tensor([1, 2, 3, 4])
        let leaf = x.requiringGrad()
        let ops = 1000
        let plain = timer.measure { var y = x; for _ in 0..<ops { y = y * 1.0001 } }
        let recorded = timer.measure { var y = leaf; for _ in 0..<ops { y = y * 1.0001 } }
        let withBackward = timer.measure {
            var y = leaf
            for _ in 0..<ops { y = y * 1.0001 }
            y.backward(Tensor.ones([4]))
            leaf.zeroGrad()
        }
        print("| | µs per op |")
        print("|---|---|")
        print("| op, nothing recorded | \(format(plain / Double(ops) * 1e6, 2)) |")
        print("| op, recorded | \(format(recorded / Double(ops) * 1e6, 2)) |")
        print("| recording overhead | \(format((recorded - plain) / Double(ops) * 1e6, 2)) |")
        print("| op recorded + its backward | \(format(withBackward / Double(ops) * 1e6, 2)) |")
        print()
    }
}
