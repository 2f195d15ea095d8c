/// A row of block characters for a series, scaled to its own largest
/// value: the newest `width` values, right-aligned, blank before them.
public enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public static func text(_ values: [Double], width: Int) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width)
        let top = shown.max() ?? 0
        let bars = shown.map { value -> Character in
            guard top > 0, value > 0 else { return blocks[0] }
            return blocks[min(blocks.count - 1, Int((value / top) * Double(blocks.count - 1) + 0.5))]
        }
        return String(repeating: " ", count: width - bars.count) + String(bars)
    }
}
