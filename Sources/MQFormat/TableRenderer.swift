import FoundationEssentials
import Glibc

/// Aligned columns for people. Rows are held until the list ends, to size
/// the columns; when the table is wider than the terminal the widest
/// column is cut with an ellipsis. One object prints as FIELD / VALUE rows.
/// With `everyField` (`-o wide`) every field of the rows is a column,
/// those the command names first.
final class TableRenderer: Renderer {
    private let sink: OutputSink
    private let width: Int?
    private let color: Bool
    private let everyField: Bool
    private var columns: [Column] = []
    private var records: [[(name: String, value: FieldValue)]] = []

    init(sink: OutputSink, width: Int?, color: Bool, everyField: Bool = false) {
        self.sink = sink
        self.width = width
        self.color = color
        self.everyField = everyField
    }

    func single(_ record: Record) {
        let rows = record.flattened.map { [$0.name, Self.text($0.value)] }
        columns = [Column("field"), Column("value")]
        draw(rows)
    }

    func beginList(key: String, columns: [Column]) {
        self.columns = columns
        records = []
    }

    func row(_ record: Record) {
        records.append(record.flattened)
    }

    func endList(_ trailer: Record) {
        if everyField {
            var known = Set(columns.map(\.name))
            for fields in records {
                for field in fields where known.insert(field.name).inserted { columns.append(Column(field.name)) }
            }
        }
        let rows = records.map { fields in
            columns.map { column in fields.first { $0.name == column.name }.map { Self.text($0.value) } ?? "" }
        }
        records = []
        draw(rows)
    }

    private func draw(_ rows: [[String]]) {
        let header = columns.map(\.title)
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }
        fit(&widths)
        write(header, widths: widths, isHeader: true)
        for row in rows {
            write(row, widths: widths, isHeader: false)
        }
    }

    /// Narrows the widest columns until the row fits the terminal.
    private func fit(_ widths: inout [Int]) {
        guard let width, !widths.isEmpty else { return }
        let gaps = 2 * (widths.count - 1)
        while widths.reduce(0, +) + gaps > width {
            let widest = widths.indices.max { widths[$0] < widths[$1] }!
            guard widths[widest] > 8 else { return }
            widths[widest] -= 1
        }
    }

    private func write(_ cells: [String], widths: [Int], isHeader: Bool) {
        var line = ""
        for (index, cell) in cells.enumerated() {
            var text = cell.count > widths[index] ? String(cell.prefix(widths[index] - 1)) + "…" : cell
            let padding = String(repeating: " ", count: widths[index] - text.count)
            if color && !isHeader && columns[index].isStatus, let code = Self.statusColors[cell] {
                // Coloured after measuring, so escape codes take no width.
                text = "\u{1B}[\(code)m\(text)\u{1B}[0m"
            }
            let isLast = index == cells.count - 1
            if columns[index].rightAligned {
                line += padding + text
            } else {
                line += text + (isLast ? "" : padding)
            }
            if !isLast { line += "  " }
        }
        sink.write(line + "\n")
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
            || (0x2066...0x2069).contains(scalar.value)
    }

    static let statusColors = ["OK": 32, "WARN": 33, "WARNING": 33, "CRIT": 31, "CRITICAL": 31, "ERROR": 31, "UNKNOWN": 35]

    /// Cell text for people: durations and times made readable, newlines
    /// folded so one record stays on one line, and other control
    /// characters (a stored ESC would drive the terminal) shown as \u{..}.
    static func text(_ value: FieldValue) -> String {
        switch value {
        case .string(let text):
            let folded = text.replacingLiteral("\n", with: " ")
            guard folded.unicodeScalars.contains(where: isControl) else { return folded }
            return folded.unicodeScalars.map { isControl($0) ? String(printf: "\\u{%02X}", $0.value) : String($0) }.joined()
        case .int(let number): return String(number)
        case .double(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(printf: "%.2f", number)
        case .bool(let flag): return flag ? "yes" : "no"
        case .seconds(let seconds): return TimeText.humanDuration(seconds)
        case .time(let ms): return TimeText.rfc3339(ms, milliseconds: false)
        case .null: return "-"
        case .list(let items): return items.map(text).joined(separator: ",")
        case .object(let record): return record.fields.map { "\($0.name)=\(text($0.value))" }.joined(separator: " ")
        }
    }
}
