import Foundation
import PixelwiseCore

/// A self-contained HTML report of a training run: loss and validation curves as inline SVG,
/// a metric table, and images (raw, ground truth, prediction, overlay) as inline PNG data —
/// one file that opens in any browser without a network.
public struct HTMLReport {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        public init(name: String, points: [(x: Double, y: Double)], color: String) {
            self.name = name
            self.points = points
            self.color = color
        }
    }

    public struct Figure: Sendable {
        public var title: String
        /// PNG images with captions, shown side by side.
        public var panels: [(caption: String, png: Data)]
        /// Colour keys shown under the panels (e.g. what an overlay's colours mean).
        public var legend: [(label: String, color: String)]
        public init(title: String, panels: [(caption: String, png: Data)], legend: [(label: String, color: String)] = []) {
            self.title = title
            self.panels = panels
            self.legend = legend
        }
    }

    public var title: String
    /// Key–value lines shown under the title (model, data, duration…).
    public var summary: [(String, String)] = []
    public var charts: [(title: String, xLabel: String, series: [Series])] = []
    /// A table: header row and rows.
    public var tables: [(title: String, header: [String], rows: [[String]])] = []
    public var figures: [Figure] = []

    public init(title: String) { self.title = title }

    public var html: String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; text-align: right; }
        th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
        .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; }
        figure { margin: 0; } figcaption { text-align: center; font-size: 0.85em; color: #555; }
        figure img { width: 100%; image-rendering: pixelated; border: 1px solid #ccc; display: block; }
        svg.chart { width: 100%; height: auto; max-width: 1100px; display: block; }
        .legend span { margin-right: 1.2em; font-size: 0.9em; white-space: nowrap; }
        </style></head><body>
        <h1>\(escape(title))</h1>

        """
        if !summary.isEmpty {
            out += "<table>" + summary.map { "<tr><td>\(escape($0.0))</td><td style=\"text-align:left\">\(escape($0.1))</td></tr>" }.joined() + "</table>\n"
        }
        for chart in charts {
            out += "<h2>\(escape(chart.title))</h2>\n" + svgChart(chart.series, xLabel: chart.xLabel) + "\n"
            out += "<div class=\"legend\">" + chart.series.map { "<span style=\"color:\($0.color)\">■ \(escape($0.name))</span>" }.joined() + "</div>\n"
        }
        for table in tables {
            out += "<h2>\(escape(table.title))</h2>\n<table><tr>" + table.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
            out += table.rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>\n"
        }
        for figure in figures {
            out += "<h2>\(escape(figure.title))</h2>\n<div class=\"panels\">"
            for panel in figure.panels {
                out += "<figure><img alt=\"\(escape(panel.caption))\" src=\"data:image/png;base64,\(panel.png.base64EncodedString())\">"
                out += "<figcaption>\(escape(panel.caption))</figcaption></figure>"
            }
            out += "</div>\n"
            if !figure.legend.isEmpty {
                out += "<div class=\"legend\">" + figure.legend.map { "<span style=\"color:\($0.color)\">■ \(escape($0.label))</span>" }.joined() + "</div>\n"
            }
        }
        out += "<p style=\"color:#888;font-size:0.8em\">Made by Pixelwise.</p></body></html>\n"
        return out
    }

    /// Writes the report atomically (`AtomicFile`).
    public func write(to path: String) throws {
        try AtomicFile.write(html, to: path)
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A line chart with axes and tick labels. The y axis starts at 0 (or the data's minimum if
    /// negative) and both axes end on "nice" ticks (1, 2 or 5 × 10^k steps).
    func svgChart(_ series: [Series], xLabel: String) -> String {
        let (w, h, left, bottom, top, right) = (1000.0, 320.0, 64.0, 44.0, 12.0, 16.0)
        let all = series.flatMap(\.points).filter { $0.y.isFinite }
        guard let minX0 = all.map(\.x).min(), let maxX0 = all.map(\.x).max(),
              let minY0 = all.map(\.y).min(), let maxY0 = all.map(\.y).max() else { return "<p>(no data yet)</p>" }
        let yTicks = HTMLReport.niceTicks(min(minY0, 0), max(maxY0, min(minY0, 0) + 1e-9), count: 5)
        let xTicks = HTMLReport.niceTicks(minX0, maxX0 > minX0 ? maxX0 : minX0 + 1, count: 8)
        let (minX, maxX) = (min(minX0, xTicks.first!), max(maxX0, xTicks.last!))
        let (minY, maxY) = (yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * (w - left - right) }
        func py(_ y: Double) -> Double { h - bottom - (y - minY) / (maxY - minY) * (h - bottom - top) }
        func label(_ v: Double) -> String { String(format: "%g", (v * 1e6).rounded() / 1e6) }
        var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(h - top - bottom)\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
        for y in yTicks {
            let yy = py(y)
            svg += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(yy)\" y2=\"\(yy)\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(yy + 4)\" font-size=\"12\" text-anchor=\"end\" fill=\"#444\">\(label(y))</text>"
        }
        for x in xTicks where x >= minX && x <= maxX {
            let xx = px(x)
            svg += "<line x1=\"\(xx)\" x2=\"\(xx)\" y1=\"\(h - bottom)\" y2=\"\(h - bottom + 4)\" stroke=\"#999\"/>"
            svg += "<text x=\"\(xx)\" y=\"\(h - bottom + 17)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#444\">\(label(x))</text>"
        }
        svg += "<text x=\"\((left + w - right) / 2)\" y=\"\(h - 6)\" font-size=\"13\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        for s in series where !s.points.isEmpty {
            let pts = s.points.filter { $0.y.isFinite }.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(pts)\"/>"
            if s.points.count <= 40 {
                for p in s.points where p.y.isFinite {
                    svg += "<circle cx=\"\(String(format: "%.1f", px(p.x)))\" cy=\"\(String(format: "%.1f", py(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>"
                }
            }
        }
        return svg + "</svg>"
    }

    /// Ticks covering [low, high] with the step of 1, 2 or 5 × 10^k nearest (high − low)/(count − 1):
    /// the first at or below `low`, the last at or above `high`.
    static func niceTicks(_ low: Double, _ high: Double, count: Int) -> [Double] {
        let rough = (high - low) / Double(max(count - 1, 1))
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.min { abs($0 - rough) < abs($1 - rough) }!
        let first = Int(floor(low / step + 1e-9)), last = Int(ceil(high / step - 1e-9))
        // Tick i is i·step; below 1 computed as (i·m)/10^k with integer m, so 3 × 0.2 prints as 0.6.
        guard magnitude < 1 else { return (first...last).map { Double($0) * step } }
        let scale = (1 / magnitude).rounded(), units = (step * scale).rounded()
        return (first...last).map { Double($0) * units / scale }
    }
}
