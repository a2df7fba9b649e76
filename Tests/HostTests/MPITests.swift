import DiffSynth
import Foundation
import Testing
@testable import Host

/// `mpirun -np 2 diffsynth train` against one process, as a user runs them: the built binary under
/// Open MPI's launcher (`make test` builds the binary first and installs openmpi-bin).
@Suite("Data-parallel training over MPI", .serialized)
struct MPITests {
    static let mpirun: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    /// The `diffsynth` binary of this build: next to the test runner, else in the test scratch folder.
    static let binary: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("diffsynth").path,
                          root.appendingPathComponent(".build-testing/release/diffsynth").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static var available: Bool { mpirun != nil && binary != nil }
    static let why = "needs mpirun (apt-get install openmpi-bin libopenmpi-dev) and the built diffsynth binary (make test builds it)"

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-\(UUID().uuidString)")
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs a command; returns its exit status and standard error (without `wait`: the path of the
    /// file standard error is written to).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], wait: Bool = true) throws -> (status: Int32, stderr: String, process: Process) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DIFFSYNTH_NUM_THREADS"] = "1"
        process.environment = environment
        // Standard error goes to a file, so a long run can never block on a full pipe.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard wait else { return (0, log.path, process) }
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8), process)
    }

    /// `mpirun -np 2` with the flags CI needs (root, two ranks on however many cores).
    static func mpi(_ arguments: [String], ranks: Int = 2, wait: Bool = true) throws -> (status: Int32, stderr: String, process: Process) {
        try run(mpirun!, ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", binary!] + arguments, wait: wait)
    }

    func makeDataset(rows: Int) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let prompts = (0..<rows).map { "prompt number \($0) with a red circle" }.joined(separator: "\n")
        try prompts.write(toFile: path("prompts.txt"), atomically: true, encoding: .utf8)
        try DatasetCommand.parse(["--tiny", "qwen-image", "--prompts", path("prompts.txt"), "--output_path", path("data"), "--height", "32",
                                  "--width", "32", "--teacher_steps", "4", "--teacher_cfg_scale", "3", "--num_inference_steps", "2"]).run()
    }

    func train(_ output: String, _ extra: [String] = []) -> [String] {
        ["train", "--tiny", "qwen-image", "--dataset_base_path", path("data"), "--dataset_metadata_path", path("data/metadata.csv"),
         "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale", "--height", "32", "--width", "32",
         "--lora_base_model", "dit", "--lora_target_modules", "", "--lora_rank", "4", "--learning_rate", "1e-2",
         "--task", "direct_distill", "--output_path", path(output)] + extra
    }

    func losses(_ output: String) throws -> [Double] {
        let csv = try String(contentsOfFile: path(output) + "/loss.csv", encoding: .utf8)
        return csv.split(separator: "\n").filter { $0.contains(",loss,") }.compactMap { Double($0.split(separator: ",")[2]) }
    }

    func weights(_ file: String) throws -> [String: [Float]] {
        let f = try SafetensorsFile(url: URL(fileURLWithPath: path(file)))
        return Dictionary(uniqueKeysWithValues: try f.names.map { ($0, try f.tensor($0).scalars) })
    }

    @Test("mpirun -np 2 gives the losses and LoRA of one process with gradient accumulation 2, to 1e-6", .enabled(if: available, Comment(rawValue: why)))
    func equalsAccumulation() throws {
        try makeDataset(rows: 6)
        let one = try Self.run(Self.binary!, train("one", ["--dataset_repeat", "2", "--gradient_accumulation_steps", "2", "--save_steps", "100"]))
        #expect(one.status == 0, "\(one.stderr)")
        let two = try Self.mpi(train("two", ["--dataset_repeat", "2", "--save_steps", "100"]))
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("data parallel: 2 ranks over MPI") && two.stderr.contains("communication:"))
        #expect(!two.stderr.contains("[rank 1]"), "rank 1 must be quiet without --verbose")
        let single = try losses("one"), parallel = try losses("two")
        #expect(single.count == 12 && parallel.count == 6)
        for (i, value) in parallel.enumerated() {
            let mean = (single[2 * i] + single[2 * i + 1]) / 2
            #expect(abs(value - mean) <= 1e-6 * abs(mean), "step \(i + 1): \(value) vs \(mean)")
        }
        let a = try weights("one/step-12.safetensors"), b = try weights("two/step-6.safetensors")
        #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
        var changed = 0
        for (name, x) in a {
            let y = try #require(b[name])
            let scale = max(x.map(abs).max() ?? 0, 1e-12)
            #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1e-6 * scale }, "\(name)")
            if name.contains("lora_B"), x.contains(where: { $0 != 0 }) { changed += 1 }
        }
        #expect(changed > 0, "training changed no LoRA weight: the comparison would be empty")
    }

    @Test("killing one rank ends the job within seconds with a message; resume with the same ranks continues, other counts refuse",
          .enabled(if: available, Comment(rawValue: why)))
    func killAndResume() throws {
        try makeDataset(rows: 4)
        let arguments = train("run", ["--dataset_repeat", "300", "--save_steps", "10"])
        let (_, log, job) = try Self.mpi(arguments, wait: false)
        let checkpoint = path("run/step-20.safetensors")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline && job.isRunning { usleep(50_000) }
        try #require(FileManager.default.fileExists(atPath: checkpoint), "the run never reached step 20")
        let victim = try #require(Self.rankProcess(1, marker: path("run")), "rank 1's process not found")
        let killed = Date()
        kill(victim, SIGKILL)
        job.waitUntilExit()
        let seconds = Date().timeIntervalSince(killed)
        #expect(seconds < 10, "the job took \(seconds) s to end")
        #expect(job.terminationStatus != 0)
        let message = try String(contentsOfFile: log, encoding: .utf8)
        #expect(message.contains("rank 1") && message.contains("signal 9"), "\(message.suffix(600))")
        let resumed = try Self.mpi(arguments + ["--resume_from_checkpoint", path("run")])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step"))
        #expect(try losses("run").count == 600)
        let refused = try Self.run(Self.binary!, arguments + ["--resume_from_checkpoint", path("run")])
        #expect(refused.status != 0 && refused.stderr.contains("'ranks' was 2"), "\(refused.stderr)")
    }

    @Test("a row that fails on one rank (a NaN loss) ends every rank with that rank's message, within seconds",
          .enabled(if: available, Comment(rawValue: why)))
    func oneRankFails() throws {
        try makeDataset(rows: 4)
        // Teacher latents of 1e30 are finite, so the row loads, but its squared error overflows: only the rank
        // that draws the row fails.
        let metadata = try Metadata(contentsOf: folder.appendingPathComponent("data/metadata.csv"))
        let file = folder.appendingPathComponent("data").appendingPathComponent(metadata.rows[2].fields["latents"]!)
        let (latents, family) = try TeacherLatentsFile.read(file)
        try TeacherLatentsFile.write(Tensor(shape: latents.shape, scalars: Array(repeating: 1e30, count: latents.count)),
                                     family: family!, to: file)
        let start = Date()
        let result = try Self.mpi(train("nan", ["--dataset_repeat", "50"]))
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("error: rank ") && result.stderr.contains("metadata.csv line 4") && result.stderr.contains("the loss"),
                "\(result.stderr.suffix(800))")
    }

    @Test("fewer rows than ranks is refused by name, and no rank hangs", .enabled(if: available, Comment(rawValue: why)))
    func fewerRowsThanRanks() throws {
        try makeDataset(rows: 1)
        let result = try Self.mpi(train("small"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("1 row, fewer than the 2 ranks"), "\(result.stderr)")
    }

    @Test("--distributed mpi without MPI says which package to install")
    func missingLibrary() throws {
        setenv("DIFFSYNTH_MPI_LIBRARY", "libmpi-that-is-not-here.so", 1)
        defer { unsetenv("DIFFSYNTH_MPI_LIBRARY") }
        #expect { try MPIProcessGroup() } throws: { "\($0)".contains("libmpi-that-is-not-here.so") && "\($0)".contains("openmpi-bin") }
    }

    /// The pid of the rank-`rank` process whose command line contains `marker`.
    static func rankProcess(_ rank: Int, marker: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: command, as: UTF8.self).contains(marker),
                  !String(decoding: command, as: UTF8.self).contains("mpirun"),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            if String(decoding: environment, as: UTF8.self).split(separator: "\0").contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
