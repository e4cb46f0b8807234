import Foundation
import PixelwiseCore
import PixelwiseNN
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// The recipe's option table: one row per property, one flag and one key per row, and YAML that
/// reads back to the same recipe and stays readable by (and from) earlier versions.
@Suite struct RecipeTests {
    /// A recipe with every option set to a value other than its default.
    static var everything: Recipe {
        var r = Recipe()
        r.images = "data/images"; r.labels = "data/labels"; r.validateImages = "val/images"; r.validateLabels = "val/labels"
        r.model = "tschopp-unet"; r.baseFilters = 8; r.norm = .group(groups: 8); r.foreground = [191, 255]; r.iterations = 300; r.minutes = 2.5; r.out = "run"
        r.loss = LossChoice(.ce, then: .malis); r.optimizer = .sgd; r.lr = 0.05; r.batch = 2; r.patch = 128; r.seed = 7; r.threads = 2
        r.schedule = .cosine; r.warmup = 10; r.weightDecay = 1e-4; r.validateEvery = 50; r.checkpointEvery = 25; r.classWeights = .balanced
        r.errorMasking = true; r.patchPrior = false; r.elastic = true; r.blur = false; r.clahe = true; r.jitter = true; r.switchAt = 100
        r.precision = .bfloat16; r.algorithm = .winograd
        r.classes = "membrane=0,32 cell=255"; r.channels = "rgb"; r.normalise = "zscore"
        r.layout = "brats"; r.resize = 128; r.instanceBoundaries = true; r.exact = true
        r.patchDepth = 12; r.spacing = "50,4,4"; r.elastic3D = true; r.sliceAxis = .x
        r.foregroundClasses = "cell"; r.malisWeight = 4
        return r
    }

    /// The properties of a recipe (by reflection), so that a property without a row cannot hide.
    static func properties(_ recipe: Recipe) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Mirror(reflecting: recipe).children.map { ($0.label!, "\($0.value)") })
    }

    @Test func everyPropertyHasExactlyOneFlagAndOneKey() throws {
        let flags = Recipe.options.map(\.flag), keys = Recipe.options.map(\.key)
        #expect(Set(flags).count == flags.count, "a flag named twice")
        #expect(Set(keys).count == keys.count, "a key named twice")
        #expect(zip(flags, keys).allSatisfy { $0.replacingOccurrences(of: "-", with: "_") == $1 })
        #expect(Recipe.options.count == Mirror(reflecting: Recipe()).children.count, "a property without a row, or a row too many")
        // Each row sets exactly one property, and no two rows set the same one.
        let empty = Self.properties(Recipe()), full = Self.properties(Self.everything)
        var claimed: [String: String] = [:]
        for option in Recipe.options {
            var one = Recipe()
            option.copy(Self.everything, &one)
            let changed = Self.properties(one).filter { empty[$0.key] != $0.value }.map(\.key)
            #expect(changed.count == 1, "--\(option.flag) sets \(changed)")
            for property in changed {
                #expect(claimed[property] == nil, "--\(option.flag) and --\(claimed[property] ?? "") both set \(property)")
                claimed[property] = option.flag
            }
        }
        #expect(Set(claimed.keys) == Set(full.keys))
    }

    @Test func yamlRoundTripsEveryOption() throws {
        let text = Self.everything.yaml()
        #expect(try Recipe(yaml: text) == Self.everything)
        for option in Recipe.options { #expect(text.contains("\n\(option.key):") || text.hasPrefix("\(option.key):"), "\(option.key) missing") }
        #expect(text.contains("loss: ce,malis") && text.contains("precision: bf16") && text.contains("winograd: true"))
        #expect(try Recipe(yaml: Recipe().yaml()) == Recipe())
    }

    /// A run folder's config.yaml as the previous version (TrainingConfiguration) wrote it (its
    /// `train` with `--model intel-unet --base-filters 4 --optimizer adamw --schedule constant …`):
    /// it still reads, and the recipe writes it back byte for byte.
    @Test func previousConfigurationFilesStillRead() throws {
        let written = """
        images: data/images
        labels: data/labels
        model: intel-unet
        iterations: 6
        out: before/train-b
        optimizer: adamw
        lr: 1.00000004749745e-3
        batch: 1
        patch: 64
        threads: 1
        schedule: constant
        warmup: 3
        winograd: false
        base_filters: 4
        error_masking: true

        """
        let recipe = try Recipe(yaml: written)
        #expect(recipe.model == "intel-unet" && recipe.baseFilters == 4 && recipe.optimizer == .adamw && recipe.schedule == .constant && recipe.algorithm == .fastest)
        #expect(recipe.errorMasking == true && recipe.lr == 0.001)
        #expect(try Recipe(yaml: "lr: 0.001\n").lr == 0.001)
        #expect(recipe.yaml() == written)
    }

    @Test func flagsParseIntoTheSameRecipe() throws {
        let words = ["--images", "data/images", "--labels", "data/labels", "--validate-images", "val/images", "--validate-labels=val/labels",
                     "--model", "tschopp-unet", "--base-filters", "8", "--norm", "group:8", "--foreground", "191", "255", "--iterations", "300", "--minutes", "2.5",
                     "--out", "run", "--loss", "ce,malis", "--optimizer", "sgd", "--lr", "0.05", "--batch", "2", "--patch", "128", "--seed", "7",
                     "--threads", "2", "--schedule", "cosine", "--warmup", "10", "--weight-decay", "1e-4", "--validate-every", "50",
                     "--checkpoint-every", "25", "--class-weights", "balanced", "--error-masking", "--no-patch-prior", "--elastic", "--no-blur",
                     "--clahe", "--jitter", "--switch-at", "100", "--precision", "bf16", "--winograd",
                     "--classes", "membrane=0,32 cell=255", "--channels", "rgb", "--normalise", "zscore",
                     "--layout", "brats", "--resize", "128", "--instance-boundaries", "--exact", "--patch-depth", "12", "--spacing", "50,4,4", "--elastic-3d",
                     "--slice-axis", "x", "--foreground-classes", "cell", "--malis-weight", "4"]
        #expect(try Recipe(flags: words) == Self.everything)
        // Several words, as `segment --foreground-classes` takes them; in YAML a string or a list.
        #expect(try Recipe(flags: ["--foreground-classes", "mitochondria", "cell", "--seed", "1"]).foregroundClasses == "mitochondria cell")
        #expect(try Recipe(yaml: "foreground_classes: mitochondria cell\n").foregroundClasses == "mitochondria cell")
        #expect(try Recipe(yaml: "foreground_classes: [mitochondria, 255]\n").foregroundClasses == "mitochondria 255")
        #expect(try Recipe(flags: ["--no-winograd"]).algorithm == .fastest)
        #expect(try Recipe(flags: ["--exact"]).resolvedAlgorithm == .exact)
        #expect(Recipe().resolvedAlgorithm == .fastest, "the measured choice is the default")
        var both = try Recipe(flags: ["--exact", "--winograd", "--images", "i", "--labels", "l"])
        #expect(throws: PixelwiseError.self) { try both.validate() }
        both.exact = false
        #expect(throws: Never.self) { try both.validate() }
    }

    @Test func badFlagsAndKeysNameThemselves() throws {
        #expect(throws: PixelwiseError.invalidArgument("unknown --precision fp16; use fp32 or bf16")) { try Recipe(flags: ["--precision", "fp16"]) }
        #expect(throws: PixelwiseError.invalidArgument("unknown --norm layer; use batch, instance, group, group:<groups> or none")) {
            try Recipe(flags: ["--norm", "layer"])
        }
        #expect(try Recipe(yaml: "norm: instance\n").norm == .instance)
        #expect(throws: PixelwiseError.invalidArgument("unknown --schedule linear; use constant, poly, cosine or step")) {
            try Recipe(flags: ["--schedule", "linear"])
        }
        #expect(throws: PixelwiseError.invalidArgument("unknown loss l2; " + LossChoice.choices)) { try Recipe(flags: ["--loss", "ce,l2"]) }
        for words in [["--patch", "abc"], ["--lr"], ["--learning-rate", "1"], ["--winograd=yes"], ["stray"]] {
            #expect(throws: RecipeFlagError.self, "\(words)") { try Recipe(flags: words) }
        }
        let unknown = #expect(throws: PixelwiseError.self) { try Recipe(yaml: "images: a\nlearning_rate: 0.1\n", path: "bad.yaml") }
        #expect(unknown?.description.hasPrefix("bad.yaml: unknown key learning_rate; known keys: ") == true, "\(unknown?.description ?? "")")
        let name = #expect(throws: PixelwiseError.self) { try Recipe(yaml: "optimizer: adagrad\n", path: "bad.yaml") }
        #expect(name?.description == "bad.yaml: unknown optimizer adagrad; use adam, adamw or sgd", "\(String(describing: name))")
    }

    @Test func flagsOverrideTheFile() throws {
        var file = Recipe(), flags = Recipe()
        file.lr = 0.1; file.batch = 2; file.elastic = true
        flags.lr = 0.2; flags.elastic = false
        let merged = file.overridden(by: flags)
        #expect(merged.lr == 0.2 && merged.batch == 2 && merged.elastic == false)
    }

    @Test func validationNamesTheFlag() throws {
        var r = Recipe()
        r.images = "i"; r.labels = "l"; r.batch = 0
        #expect(throws: PixelwiseError.invalidArgument("--batch must be positive, got 0")) { try r.validate() }
        r.batch = 3
        #expect(throws: PixelwiseError.invalidArgument("--batch 3 does not split evenly over 2 processes; use a multiple of 2")) {
            try r.validate(processes: 2)
        }
        r.loss = LossChoice(.ce, then: .malis)
        #expect(throws: PixelwiseError.self) { try r.validate() }
    }
}

/// Found by fuzz-yaml: Yams traps (force-unwrap) on a mapping key that is a list or a mapping.
/// Now a one-line error naming the file, wherever in the document the key is.
@Suite struct RecipeYAMLRegressionTests {
    @Test(arguments: ["{}:", "{}: 1", "images: x\n[1, 2]: y\n", "batch: 2\nnested:\n  {a: 1}: 3\n", "- {[]: 1}"])
    func nonScalarKeysAreAnError(_ text: String) throws {
        #expect(throws: PixelwiseError.self) { try Recipe(yaml: text, path: "bad.yaml") }
        do { _ = try Recipe(yaml: text, path: "bad.yaml") } catch let error as PixelwiseError {
            #expect(error.description.hasPrefix("bad.yaml: keys must be plain names, not lists or mappings"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }
}
