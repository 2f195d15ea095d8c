/// The first line of an error, for tables; JSON keeps the whole text.
func firstLine(_ text: String) -> String {
    String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
}
