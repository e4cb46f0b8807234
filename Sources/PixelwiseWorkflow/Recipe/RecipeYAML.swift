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
        do {
            // Yams traps on a mapping key that is not a plain value (`{}: 1`, found by fuzz-yaml):
            // look at the document's structure before it builds values from it.
            if let document = try Yams.compose(yaml: text), let key = Self.firstNonScalarKey(in: document) {
                let line = key.mark.map { " (line \($0.line))" } ?? ""
                throw PixelwiseError.file(path: path, problem: "keys must be plain names, not lists or mappings\(line)")
            }
            node = try Yams.load(yaml: text)
        } catch let error as PixelwiseError {
            throw error
        } catch {
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

    /// The first mapping key anywhere in `node` that is a list or a mapping, if any.
    static func firstNonScalarKey(in node: Node) -> Node? {
        if let mapping = node.mapping {
            for (key, value) in mapping {
                if key.scalar == nil { return key }
                if let found = firstNonScalarKey(in: value) { return found }
            }
        } else if let sequence = node.sequence {
            for value in sequence { if let found = firstNonScalarKey(in: value) { return found } }
        }
        return nil
    }

    /// The recipe as YAML (RUN_DIR/config.yaml, so a run can be repeated): the keys it sets, in table order.
    public func yaml() -> String { (try? YAMLEncoder().encode(self)) ?? "" }
}
