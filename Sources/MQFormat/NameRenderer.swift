/// `-o name`: each record's id, else its name (or queue), one a line, so
/// a list pipes into the commands that take ids (`xargs mqctl dlq replay Q`).
final class NameRenderer: Renderer {
    private let sink: OutputSink

    init(sink: OutputSink) {
        self.sink = sink
    }

    func single(_ record: Record) {
        row(record)
    }

    func beginList(key: String, columns: [Column]) {}

    func row(_ record: Record) {
        for key in ["id", "name", "queue", "stream"] {
            guard let value = record[key] else { continue }
            sink.write(CSVRenderer.text(value) + "\n")
            return
        }
    }

    func endList(_ trailer: Record) {}
}
