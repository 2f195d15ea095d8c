import MQFormat
import XCTest

final class RendererTests: XCTestCase {
    let rows: [Record] = [
        ["name": .string("orders"), "ready": .int(3), "latency_seconds": .seconds(0.25), "paused": .bool(false),
         "by": .object(["express": .int(1), "normal": .int(2)])],
        ["name": .string("mail, \"bulk\"\nline"), "ready": .int(12_000), "latency_seconds": .seconds(3725), "paused": .bool(true),
         "by": .object(["express": .int(0), "normal": .int(12_000)])],
    ]
    let columns = [Column("name"), Column("ready", rightAligned: true), Column("latency_seconds"), Column("by.express")]

    func render(_ format: OutputFormat, width: Int? = nil) -> String {
        let sink = OutputSink.memory()
        let renderer = format.renderer(to: sink, options: RenderOptions(width: width))
        renderer.beginList(key: "queues", columns: columns)
        rows.forEach(renderer.row)
        renderer.endList()
        return sink.text
    }

    func testJSONListIsOneDocumentWithEscapes() throws {
        let text = render(.json)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let queues = try XCTUnwrap(object["queues"] as? [[String: Any]])
        XCTAssertEqual(queues.count, 2)
        XCTAssertEqual(queues[1]["name"] as? String, "mail, \"bulk\"\nline")
        XCTAssertEqual(queues[0]["latency_seconds"] as? Double, 0.25)
        XCTAssertEqual((queues[1]["by"] as? [String: Int])?["normal"], 12_000)
        XCTAssertEqual(queues[1]["paused"] as? Bool, true)
    }

    func testEmptyJSONList() throws {
        let sink = OutputSink.memory()
        let renderer = OutputFormat.json.renderer(to: sink)
        renderer.beginList(key: "queues", columns: columns)
        renderer.endList()
        XCTAssertEqual(sink.text, "{\"queues\":[]}\n")
    }

    func testNDJSONIsOneObjectPerLine() throws {
        let lines = render(.ndjson).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    func testCSVQuotesFlattensAndCarriesEveryFieldAsJSONDoes() {
        XCTAssertEqual(render(.csv), """
            name,ready,latency_seconds,paused,by.express,by.normal\r
            orders,3,0.25,false,1,2\r
            "mail, ""bulk""
            line",12000,3725,true,0,12000\r

            """)
        let sink = OutputSink.memory()
        let renderer = OutputFormat.csv.renderer(to: sink)
        renderer.beginList(key: "queues", columns: columns)
        renderer.endList()
        XCTAssertEqual(sink.text, "name,ready,latency_seconds,by.express\r\n", "an empty list still has its header")
    }

    func testTableHeadingsAreTheJSONNamesInCapitals() {
        XCTAssertEqual(render(.table), """
            NAME               READY  LATENCY  EXPRESS
            orders                 3  250ms    1
            mail, "bulk" line  12000  1h2m     0

            """)
        XCTAssertEqual(render(.wide, width: 20), """
            NAME               READY  LATENCY  EXPRESS  PAUSED  NORMAL
            orders                 3  250ms    1        no      2
            mail, "bulk" line  12000  1h2m     0        yes     12000

            """, "wide: every field, nothing cut")
    }

    func testJSONSequencesAndWatchDrawsAreOneRecordEach() throws {
        let sequence = render(.jsonSeq).split(separator: "\n")
        XCTAssertEqual(sequence.count, 2)
        XCTAssertTrue(sequence.allSatisfy { $0.hasPrefix("\u{1E}{") })
        for format in [OutputFormat.ndjson, .jsonSeq] {
            let sink = OutputSink.memory()
            let renderer = format.renderer(to: sink, watching: true)
            for _ in 0..<2 {
                renderer.beginList(key: "queues", columns: columns)
                rows.forEach(renderer.row)
                renderer.endList(["time": .time(0)])
            }
            let draws = sink.text.split(separator: "\n")
            XCTAssertEqual(draws.count, 2, sink.text)
            for draw in draws {
                let text = format == .jsonSeq ? draw.dropFirst() : draw
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                XCTAssertEqual((object["queues"] as? [Any])?.count, 2)
            }
        }
    }

    func testNameListsOnlyTheIdentity() {
        XCTAssertEqual(render(.name), "orders\nmail, \"bulk\"\nline\n")
    }

    func testTableNarrowsTheWidestColumnToFit() {
        let lines = render(.table, width: 40).split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 40 }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[2].contains("…"), String(lines[2]))
    }

    func testTimesAndDurations() {
        XCTAssertEqual(TimeText.rfc3339(1_795_370_400_250), "2026-11-22T18:00:00.250Z")
        XCTAssertEqual(TimeText.rfc3339(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(TimeText.humanDuration(0.0000004), "0µs")
        XCTAssertEqual(TimeText.humanDuration(0.00123), "1.2ms")
        XCTAssertEqual(TimeText.humanDuration(0.0123), "12ms")
        XCTAssertEqual(TimeText.humanDuration(75), "1m15s")
        XCTAssertEqual(TimeText.humanDuration(90_000), "1d1h")
        XCTAssertEqual(TimeText.humanDuration(180 * 86_400), "180d")
        XCTAssertEqual(TimeText.humanDuration(120), "2m")
        let sink = OutputSink.memory()
        OutputFormat.json.renderer(to: sink).single(["t": .time(1_795_370_400_250), "d": .seconds(0.0000314159)])
        XCTAssertEqual(sink.text, "{\"t\":\"2026-11-22T18:00:00.250Z\",\"d\":0.000031}\n")
    }
}

final class StatusColorTests: XCTestCase {
    func render(color: Bool) -> String {
        let sink = OutputSink.memory()
        let renderer = OutputFormat.table.renderer(to: sink, options: RenderOptions(color: color))
        renderer.beginList(key: "q", columns: [Column("name"), Column("status", isStatus: true)])
        for (name, status) in [("a", "OK"), ("b", "WARN"), ("c", "CRIT")] {
            renderer.row(["name": .string(name), "status": .string(status)])
        }
        renderer.endList()
        return sink.text
    }

    func testStatusCellsAreColouredOnlyWhenAsked() {
        XCTAssertEqual(render(color: false), "NAME  STATUS\na     OK\nb     WARN\nc     CRIT\n")
        XCTAssertEqual(render(color: true), "NAME  STATUS\na     \u{1B}[32mOK\u{1B}[0m\nb     \u{1B}[33mWARN\u{1B}[0m\nc     \u{1B}[31mCRIT\u{1B}[0m\n")
    }
}
