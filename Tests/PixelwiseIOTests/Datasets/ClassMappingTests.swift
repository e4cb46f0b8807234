import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Class mappings: merged values, names, ignore, the text form, Codable storage, discovery with
/// a summary, and instance ids → boundaries checked by hand.
@Suite struct ClassMappingTests {
    static let ssTEMFive = "membrane=0,32,64,96,128 glia=159 mitochondria=191 synapse=223 cell=255"

    @Test func ssTEMFiveClassesMergeTheMembraneOrientations() throws {
        let map = try LabelMap(parsing: Self.ssTEMFive)
        #expect(map.classCount == 5 && map.names == ["membrane", "glia", "mitochondria", "synapse", "cell"])
        let image = Image(width: 9, height: 1, channels: 1, pixels: [0, 32, 64, 96, 128, 159, 191, 223, 255])
        #expect(try map.apply(to: image) == [0, 0, 0, 0, 0, 1, 2, 3, 4])
        #expect(map.outputValues == [0, 159, 191, 223, 255])
        #expect(map.labelValues(for: [4, 0, 2, -1]) == [255, 0, 191, 0])
    }

    @Test func bratsAndPetForms() throws {
        let whole = try LabelMap(parsing: "background=0 tumour=1,2,4")
        #expect(try whole.apply(to: Image(width: 4, height: 1, channels: 1, pixels: [0, 1, 2, 4])) == [0, 1, 1, 1])
        let regions = try LabelMap(parsing: "0;1;2;4")
        #expect(regions.names.isEmpty && regions.classCount == 4 && regions.outputValues == [0, 1, 2, 4])
        #expect(try regions.apply(to: Image(width: 2, height: 1, channels: 1, pixels: [4, 2])) == [3, 2])
        let pet = try LabelMap(parsing: "pet=1 background=2 ignore=3")
        #expect(try pet.apply(to: Image(width: 3, height: 1, channels: 1, pixels: [1, 2, 3])) == [0, 1, LabelMap.ignore])
        let rest = try LabelMap(parsing: "background=* foreground=255")
        #expect(try rest.apply(to: Image(width: 3, height: 1, channels: 1, pixels: [255, 7, 0])) == [1, 0, 0])
        #expect(rest.outputValues == [0, 255])
    }

    @Test(arguments: [
        ("", "empty class list"),
        ("a=0 b=0", "label value 0 is given to both a and b"),
        ("a=0 ignore=0", "label value 0 is given to both a and ignore"),
        ("a=x", "\"x\" is not a label value"),
        ("a=* b=*", "\"*\" is given to two classes"),
        ("=3", "empty name"),
    ])
    func badTextIsOneLine(text: String, message: String) {
        do {
            _ = try LabelMap(parsing: text)
            Issue.record("accepted \(text)")
        } catch let PixelwiseError.invalidArgument(problem) {
            #expect(problem.contains(message), "\(problem)")
            #expect(!problem.contains("\n"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func codableKeepsEverything() throws {
        for map in [try LabelMap(parsing: Self.ssTEMFive), try LabelMap(parsing: "pet=1 background=2 ignore=3"),
                    try LabelMap(parsing: "background=* foreground=255"), .foreground([191, 255]), .identity(values: [0, 1, 2, 4]),
                    .instanceBoundaries(InstanceTargets(background: 0, backgroundClass: LabelMap.ignore))] {
            let data = try JSONEncoder().encode(map)
            #expect(try JSONDecoder().decode(LabelMap.self, from: data) == map, "\(String(decoding: data, as: UTF8.self))")
        }
        let text = String(decoding: try JSONEncoder().encode(try LabelMap(parsing: "a=0,32 b=255")), as: UTF8.self)
        #expect(text.contains("\"values\":[0,32]") && text.contains("\"name\":\"a\""))
    }

    @Test func discoverySummarises() {
        var census = LabelValueCensus()
        census.add(Image(width: 4, height: 2, channels: 1, pixels: [0, 0, 0, 0, 0, 1, 2, 4]))
        census.add(Image(width: 2, height: 1, channels: 1, pixels: [4, 4]))
        #expect(census.values == [0, 1, 2, 4] && census.counts == [0: 5, 1: 1, 2: 1, 4: 3])
        #expect(census.summary == "found 4 label values: 0 (50.0%), 1 (10.0%), 2 (10.0%), 4 (30.0%)")
        #expect(census.identityMap == .identity(values: [0, 1, 2, 4]) && !census.looksLikeInstanceIds)
        var ids = LabelValueCensus()
        ids.add(Image(width: 100, height: 1, channels: 1, pixels: (0..<100).map { Float($0 * 7) }))
        #expect(ids.looksLikeInstanceIds && ids.summary.hasPrefix("found 100 label values (0 … 693): these look like instance ids"))
    }

    /// Three instances in a 5×4 image; a pixel is boundary (0) iff a 4-neighbour holds another id.
    @Test func instanceIdsBecomeBoundariesByHand() throws {
        let ids: [Float] = [1, 1, 2, 2, 2,
                            1, 1, 2, 2, 2,
                            1, 1, 1, 3, 3,
                            1, 1, 1, 3, 3]
        let targets = InstanceTargets().targets(for: Image(width: 5, height: 4, channels: 1, pixels: ids))
        // (x, y) is boundary iff a 4-neighbour differs:
        // row 0: (1,0)|(2,0) differ → 0 at x=1,2; others interior.
        // row 1: (1,1)|(2,1); (2,1) above 1 at (2,2); (3,1) above 3; (4,1) above 3 → 0 at x=1,2,3,4.
        // row 2: (2,2) below 2 at (2,1) and right 3; (1,2) fine? its up (1,1)=1, right (2,2)=1 → interior;
        //        (3,2),(4,2) above 2 → 0; (2,2) → 0.
        // row 3: (2,3) right 3 → 0; (3,3) left 1 → 0; others interior.
        let expected: [Int32] = [1, 0, 0, 1, 1,
                                 1, 0, 0, 0, 0,
                                 1, 1, 0, 0, 0,
                                 1, 1, 0, 0, 1]
        #expect(targets == expected)
        var withBackground = InstanceTargets(background: 3, backgroundClass: LabelMap.ignore)
        let t2 = withBackground.targets(for: Image(width: 5, height: 4, channels: 1, pixels: ids))
        #expect(t2[13] == -1 && t2[19] == -1 && t2[12] == 0)
        withBackground.backgroundClass = 0
        let map = LabelMap.instanceBoundaries(withBackground)
        #expect(map.classCount == 2 && map.names == ["boundary", "interior"] && map.outputValues == [0, 255])
        #expect(try map.apply(to: Image(width: 5, height: 4, channels: 1, pixels: ids)) == withBackground.targets(for: Image(width: 5, height: 4, channels: 1, pixels: ids)))
    }
}
