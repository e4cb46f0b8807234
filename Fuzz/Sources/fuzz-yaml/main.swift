import FuzzSupport
@testable import CLIConfiguration
import PixelwiseCore

/// The training configuration loader (`pixelwise train --config FILE.yaml`).
FuzzInput.main(suffix: ".yaml") { path in
    let configuration = try TrainingConfiguration.load(path)
    _ = configuration.overridden(by: configuration).yaml()
}
