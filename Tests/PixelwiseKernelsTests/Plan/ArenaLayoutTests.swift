import Testing
@testable import PixelwiseKernels

/// Placement of an inference plan's buffers in one arena.
@Suite struct ArenaLayoutTests {
    @Test func arenaKeepsLiveBuffersApartAndStaysNearTheLowerBound() {
        // A U-Net-like lifetime pattern: a long-lived skip buffer beside a chain of temporaries.
        let requests: [ArenaLayout.Request] = [
            .init(bytes: 1000, first: 0, last: 1), .init(bytes: 800, first: 1, last: 6), .init(bytes: 400, first: 2, last: 3),
            .init(bytes: 400, first: 3, last: 4), .init(bytes: 200, first: 4, last: 5), .init(bytes: 900, first: 5, last: 6),
            .init(bytes: 100, first: 6, last: 7),
        ]
        let (offsets, total) = ArenaLayout.place(requests, alignment: 1)
        for i in requests.indices {
            for j in requests.indices where i < j && requests[i].overlapsInTime(requests[j]) {
                let apart = offsets[i] + requests[i].bytes <= offsets[j] || offsets[j] + requests[j].bytes <= offsets[i]
                #expect(apart, "buffers \(i) and \(j) overlap")
            }
        }
        let bound = ArenaLayout.peakLiveBytes(requests)
        #expect(bound == 1900)  // at step 5: 800 + 200 + 900
        #expect(total >= bound && total <= bound * 5 / 4)
        #expect(total < requests.reduce(0) { $0 + $1.bytes })
    }
}
