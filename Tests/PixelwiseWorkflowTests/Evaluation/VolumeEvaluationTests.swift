import Foundation
import PixelwiseIO
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// `evaluate --3d`: the same files scored slice by slice and as volumes, checked by hand.
@Suite struct VolumeEvaluationTests {
    /// Two 3 × 1 sections. Truth z0 = [1 0 1], z1 = [1 1 1]: one object in 3-D (joined in z1), two
    /// and one objects in the sections. Prediction z0 = [1 0 1], z1 = [1 0 1]: two objects in 3-D.
    @Test func sliceBySliceAndThreeDimensionalScores() throws {
        let scratch = try ScratchFolder()
        func stack(_ rows: [[Float]], _ name: String) throws {
            try ImageStack.write(rows.map { Image(width: 3, height: 1, channels: 1, sampleType: .uint8, pixels: $0.map { $0 * 255 }) }, to: scratch.file(name))
        }
        try stack([[1, 0, 1], [1, 1, 1]], "truth.tif")
        try stack([[1, 0, 1], [1, 0, 1]], "prediction.tif")
        let report = try Evaluation.score(predictions: scratch.file("prediction.tif"), labels: scratch.file("truth.tif"), volumes: true)

        // Slice by slice, pair counts pooled over the sections: z0 has Σp² = Σs² = Σt² = 2 (two
        // singletons, both right); z1 has Σt² = 9 (one object of 3) and the prediction three
        // singletons (its middle voxel predicted background): Σp² = Σs² = 3.
        // V_rand = 2·5 / (5 + 11) = 0.625.
        #expect(abs(report.all.randError - 0.375) < 1e-12)
        #expect(abs(report.images[0].randError) < 1e-12 && abs(report.images[1].randError - 0.5) < 1e-12)
        // In 3-D: truth one object of 5 voxels (Σt² = 25); prediction objects {x=0} and {x=2} of 2
        // voxels each plus the singleton: Σp² = Σs² = 9, V_rand = 18 / 34. V_info: H(T) = 0 and
        // I(S;T) = 0, so V_info = 0 and the information error is 1.
        let volume = try #require(report.volumes?.first)
        #expect(report.volumes?.count == 1 && volume.name == "prediction.tif (3-D)")
        #expect(abs(volume.randError - 16.0 / 34) < 1e-12)
        #expect(abs(volume.informationError - 1) < 1e-12)
        // Warping: the middle voxel of z1 cannot leave the truth without splitting it (2-D and 3-D):
        // one voxel of 6 in 3-D; one pixel in the 6 of the two sections.
        #expect(abs((volume.warpingError ?? -1) - 1.0 / 6) < 1e-12)
        #expect(abs((report.all.warpingError ?? -1) - 1.0 / 6) < 1e-12)
        #expect(volume.thinnedRandError == nil)
        #expect(try #require(report.allVolumes).randError == volume.randError)
        // Pixel measures do not depend on connectivity: the same either way.
        #expect(volume.pixelError == report.all.pixelError && abs(volume.pixelError - 1.0 / 6) < 1e-12)
    }
}
