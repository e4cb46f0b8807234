/// Deterministic generator for the randomised tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random binary map with foreground probability `density`.
func randomMask(_ count: Int, density: Double, seed: UInt64) -> [Bool] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) < density }
}

/// A binary map from rows of "#" (foreground) and "." (background).
func mask(_ rows: [String]) -> (values: [Bool], width: Int, height: Int) {
    (rows.flatMap { $0.map { $0 == "#" } }, rows[0].count, rows.count)
}

/// Cells separated by membranes: a grid of square cells of side `cell` with one-pixel membranes
/// between them, as in EM label images. Returns foreground = cell interior.
func cellImage(width: Int, height: Int, cell: Int) -> [Bool] {
    var image = [Bool](repeating: false, count: width * height)
    for y in 0..<height { for x in 0..<width { image[y * width + x] = x % (cell + 1) != cell && y % (cell + 1) != cell } }
    return image
}
