import Foundation

/// The parts of a SentencePiece `ModelProto` (`spiece.model`) a tokenizer needs, read with
/// ``ProtobufReader``. Field numbers are those of SentencePiece's `sentencepiece_model.proto`;
/// absent fields take that file's defaults.
struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    struct Piece: Sendable, Equatable {
        var piece: String
        var score: Float
        var type: PieceType
    }

    /// `TrainerSpec.ModelType`: 1 Unigram, 2 BPE, 3 word, 4 char.
    var modelType = 1
    var pieces: [Piece] = []
    var unknownID = 0
    var bosID = 1
    var eosID = 2
    var padID = -1
    var byteFallback = false
    /// `NormalizerSpec.name`, e.g. `nmt_nfkc`.
    var normalizerName = ""
    /// Empty when the model does no normalisation (the `identity` rule).
    var precompiledCharsMap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true

    /// Reads `url`; every error names the file (and the byte offset or piece at fault).
    init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "\(error)" : "no such file")
        }
        try self.init(bytes: [UInt8](data), path: url.path)
    }

    init(bytes: [UInt8], path: String) throws {
        var reader = ProtobufReader(bytes[...], path: path)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: pieces.append(try Self.piece(value, index: pieces.count, path: path))
            case 2: try readTrainerSpec(try Self.message(value, "trainer_spec", path: path), path: path)
            case 3: try readNormalizerSpec(try Self.message(value, "normalizer_spec", path: path), path: path)
            default: continue  // self_test_data, denormalizer_spec: not used by tokenizers
            }
        }
        guard !pieces.isEmpty else {
            throw TokenizerError.invalidEntry(path: path, entry: "pieces", reason: "the model has no pieces (not a SentencePiece model?)")
        }
    }

    private static func message(_ value: ProtobufReader.Value, _ name: String, path: String) throws -> ArraySlice<UInt8> {
        guard let bytes = value.bytes else {
            throw TokenizerError.invalidEntry(path: path, entry: name, reason: "expected an embedded message")
        }
        return bytes
    }

    private static func piece(_ value: ProtobufReader.Value, index: Int, path: String) throws -> Piece {
        let entry = "pieces[\(index)]"
        let message = try Self.message(value, entry, path: path)
        var reader = ProtobufReader(message, path: path)
        var piece = Piece(piece: "", score: 0, type: .normal)
        while let (field, value) = try reader.next() {
            switch field {
            case 1:
                guard let bytes = value.bytes, let text = String(validating: bytes, as: UTF8.self) else {
                    throw TokenizerError.invalidEntry(path: path, entry: entry + ".piece", reason: "not a UTF-8 string")
                }
                piece.piece = text
            case 2:
                guard let score = value.float else {
                    throw TokenizerError.invalidEntry(path: path, entry: entry + ".score", reason: "not a float")
                }
                piece.score = score
            case 3:
                guard let raw = value.integer, let type = PieceType(rawValue: raw) else {
                    throw TokenizerError.invalidEntry(path: path, entry: entry + ".type", reason: "not a piece type (1–6)")
                }
                piece.type = type
            default: continue
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ message: ArraySlice<UInt8>, path: String) throws {
        var reader = ProtobufReader(message, path: path)
        while let (field, value) = try reader.next() {
            func integer(_ name: String) throws -> Int {
                guard let number = value.integer else {
                    throw TokenizerError.invalidEntry(path: path, entry: "trainer_spec.\(name)", reason: "not an integer")
                }
                return number
            }
            switch field {
            case 3: modelType = try integer("model_type")
            case 35: byteFallback = value.bool ?? byteFallback
            case 40: unknownID = try integer("unk_id")
            case 41: bosID = try integer("bos_id")
            case 42: eosID = try integer("eos_id")
            case 43: padID = try integer("pad_id")
            default: continue
            }
        }
    }

    private mutating func readNormalizerSpec(_ message: ArraySlice<UInt8>, path: String) throws {
        var reader = ProtobufReader(message, path: path)
        while let (field, value) = try reader.next() {
            switch field {
            case 1:
                guard let bytes = value.bytes, let name = String(validating: bytes, as: UTF8.self) else {
                    throw TokenizerError.invalidEntry(path: path, entry: "normalizer_spec.name", reason: "not a UTF-8 string")
                }
                normalizerName = name
            case 2:
                guard let bytes = value.bytes else {
                    throw TokenizerError.invalidEntry(path: path, entry: "normalizer_spec.precompiled_charsmap", reason: "not a bytes field")
                }
                precompiledCharsMap = Array(bytes)
            case 3: addDummyPrefix = value.bool ?? addDummyPrefix
            case 4: removeExtraWhitespaces = value.bool ?? removeExtraWhitespaces
            case 5: escapeWhitespaces = value.bool ?? escapeWhitespaces
            default: continue
            }
        }
    }
}
