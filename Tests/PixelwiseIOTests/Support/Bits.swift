/// The bit patterns of `values`, to compare floats exactly (−0 ≠ +0, NaN payloads kept).
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
