import CLineEditShim
import Foundation
import XCTest

/// The C wrappers around libedit's variadic history() calls, against the
/// real library: size cap, de-duplication, save and load.
final class HistoryShimTests: XCTestCase {
    func testHistoryIsCappedDeduplicatedSavedAndLoaded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-history-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }

        let history = try XCTUnwrap(history_init())
        defer { history_end(history) }
        XCTAssertEqual(mq_history_set_size(history, 3), 0)
        XCTAssertEqual(mq_history_set_unique(history, 1), 0)
        for line in ["stats", "stats", "dlq list orders", "peek orders", "ping"] {
            XCTAssertGreaterThanOrEqual(mq_history_enter(history, line), 0)
        }
        // "stats" twice is one entry, and only the newest 3 are kept.
        XCTAssertEqual(mq_history_count(history), 3)
        XCTAssertGreaterThanOrEqual(mq_history_save(history, path), 0)

        let loaded = try XCTUnwrap(history_init())
        defer { history_end(loaded) }
        XCTAssertEqual(mq_history_set_size(loaded, 100), 0)
        XCTAssertGreaterThanOrEqual(mq_history_load(loaded, path), 0)
        XCTAssertEqual(mq_history_count(loaded), 3)
        let saved = try String(contentsOfFile: path, encoding: .utf8)
        // libedit writes a header line, then each entry vis(3)-encoded.
        let lines = saved.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, saved)
        XCTAssertEqual(lines.last, "ping", saved)
        XCTAssertFalse(saved.contains("stats"), saved)
    }
}
