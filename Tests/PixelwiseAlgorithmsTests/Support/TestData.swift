import PixelwiseTestSupport

/// A random binary map with foreground probability `density`.
func randomMask(_ count: Int, density: Double, seed: UInt64) -> [Bool] {
    var rng = SplitMix64(seed: seed)
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
