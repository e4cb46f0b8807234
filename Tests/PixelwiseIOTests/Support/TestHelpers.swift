import PixelwiseCore
@testable import PixelwiseIO

/// A one-channel float sample with raw(x, y) = rawValue(x, y) and labels(x, y) = label(x, y).
func makeSample(width: Int, height: Int, name: String = "synthetic",
                raw rawValue: (Int, Int) -> Float = { x, y in Float(10 * y + x) },
                label: (Int, Int) -> Int32 = { _, _ in 0 }) -> Sample {
    var pixels = [Float](), labels = [Int32]()
    for y in 0..<height { for x in 0..<width { pixels.append(rawValue(x, y)); labels.append(label(x, y)) } }
    return Sample(raw: Image(width: width, height: height, channels: 1, sampleType: .float32, pixels: pixels),
                  labels: labels, name: name)
}

/// Random values in [lo, hi), seeded.
func randomPlane(width: Int, height: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Plane<Float> {
    var rng = SeededGenerator(seed: seed)
    let span = range.upperBound - range.lowerBound
    return Plane(width: width, height: height, values: (0..<width * height).map { _ in range.lowerBound + span * rng.nextUniform() })
}

func standardDeviation(_ v: [Float]) -> Double {
    let n = Double(v.count)
    let mean = v.reduce(0.0) { $0 + Double($1) } / n
    return (v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
}
