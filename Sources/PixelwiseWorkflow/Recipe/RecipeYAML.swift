import Foundation
import PixelwiseCore
import Yams

extension Recipe {
    /// Reads a YAML recipe (a run folder's config.yaml, or a `--config` file); unknown keys, wrong
    /// types and unknown names are one-line errors naming the file.
    public static func load(_ path: String) throws -> Recipe {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PixelwiseError.file(path: path, problem: "cannot read the configuration file")
        }
        return try Recipe(yaml: text, path: path)
    }

    /// Parses YAML text; `path` names the source in errors.
    public init(yaml text: String, path: String = "configuration") throws {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw PixelwiseError.file(path: path, problem: "not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let mapping = node as? [String: Any] else {
            if node == nil { self.init(); return }
            throw PixelwiseError.file(path: path, problem: "the configuration must be a mapping of keys to values")
        }
        let unknown = mapping.keys.filter { Recipe.option(named: $0)?.key != $0 }.sorted()
        if !unknown.isEmpty { throw PixelwiseError.file(path: path, problem: RecipeUnknownKeys(keys: unknown).description) }
        do { self = try YAMLDecoder().decode(Recipe.self, from: text) } catch let error as RecipeUnknownKeys {
            throw PixelwiseError.file(path: path, problem: error.description)
        } catch let DecodingError.typeMismatch(_, context) {
            throw PixelwiseError.file(path: path, problem: "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw PixelwiseError.file(path: path, problem: context.debugDescription)
        } catch {
            throw PixelwiseError.file(path: path, problem: "cannot read the configuration: \(error)")
        }
    }

    /// The recipe as YAML (RUN_DIR/config.yaml, so a run can be repeated): the keys it sets, in table order.
    public func yaml() -> String { (try? YAMLEncoder().encode(self)) ?? "" }
}
