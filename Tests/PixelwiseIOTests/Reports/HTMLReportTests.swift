import Foundation
import Testing
@testable import PixelwiseIO

@Suite struct HTMLReportTests {
    /// Steps of 1, 2 or 5 × 10^k nearest range/(count − 1), covering the range; no 0.6000000000000001.
    @Test func niceTicks() {
        #expect(HTMLReport.niceTicks(0, 0.757, count: 5) == [0, 0.2, 0.4, 0.6, 0.8])
        #expect(HTMLReport.niceTicks(1, 30, count: 8) == [0, 5, 10, 15, 20, 25, 30])
        #expect(HTMLReport.niceTicks(10, 30, count: 8) == [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30])
        #expect(HTMLReport.niceTicks(0.03, 0.91, count: 5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(HTMLReport.niceTicks(0, 0.012, count: 5) == [0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.012])
    }

    /// One self-contained page: inline SVG and PNG, escaped text, a legend per figure.
    @Test func selfContainedPage() throws {
        var report = HTMLReport(title: "run <1> & co")
        report.charts.append((title: "loss", xLabel: "iteration", series: [.init(name: "loss", points: [(1, 0.7), (2, 0.5)], color: "#123456")]))
        report.figures.append(.init(title: "image", panels: [("raw", Data([0x89, 0x50]))], legend: [("agreed", "#0072b2")]))
        let html = report.html
        #expect(html.contains("<title>run &lt;1&gt; &amp; co</title>"))
        #expect(html.contains("<svg class=\"chart\"") && html.contains("stroke=\"#123456\""))
        #expect(html.contains("src=\"data:image/png;base64,iVA=\""))
        #expect(html.contains("color:#0072b2\">■ agreed"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
    }
}
