/// Reads the top-level fields of a protobuf message (asynq's TaskMessage
/// is one, in a hash field): varints as numbers, length-delimited fields
/// as bytes. Other wire types are skipped; a malformed message gives nil.
enum Protobuf {
    enum Value: Equatable {
        case number(UInt64)
        case bytes([UInt8])
    }

    static func fields(_ bytes: [UInt8]) -> [Int: Value]? {
        var fields: [Int: Value] = [:]
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let key = varint(), key >> 3 > 0, key >> 3 < 1 << 29 else { return nil }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0:
                guard let value = varint() else { return nil }
                fields[number] = .number(value)
            case 1:
                guard index + 8 <= bytes.count else { return nil }
                index += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - index) else { return nil }
                fields[number] = .bytes(Array(bytes[index..<(index + Int(length))]))
                index += Int(length)
            case 5:
                guard index + 4 <= bytes.count else { return nil }
                index += 4
            default:
                return nil
            }
        }
        return fields
    }
}
