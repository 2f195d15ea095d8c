import Glibc

extension String {
    /// C's printf formatting, for the fixed-width numbers the output needs
    /// without Foundation (whose String(format:) comes with ICU). Arguments
    /// go through C's varargs: %ld for Int, %d for Int32, %x for UInt32.
    public init(printf format: String, _ arguments: any CVarArg...) {
        // A va_list is spent once read: one pass measures, one writes.
        let length = withVaList(arguments) { Int(vsnprintf(nil, 0, format, $0)) }
        guard length > 0 else { self = ""; return }
        self = String(unsafeUninitializedCapacity: length + 1) { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = withVaList(arguments) { vsnprintf(chars.baseAddress, length + 1, format, $0) }
            }
            return length
        }
    }
}
