import FuzzSupport
import PixelwiseCore
import PixelwiseWorkflow

/// The training recipe loader (`pixelwise train --config FILE.yaml`, `Recipe.load`), and the
/// YAML it writes back as RUN/config.yaml.
FuzzInput.main(suffix: ".yaml") { path in
    let recipe = try Recipe.load(path)
    _ = recipe.overridden(by: recipe).yaml()
}
