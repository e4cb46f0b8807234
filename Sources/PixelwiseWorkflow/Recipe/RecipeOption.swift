import Foundation
import PixelwiseCore

/// One row of `Recipe.options`: a recipe property with its flag, YAML key and help, and how to
/// read it from command-line words and from YAML and write it back.
public struct RecipeOption: @unchecked Sendable {
    /// How the option is spelled on the command line.
    public enum Form: Sendable {
        /// `--flag VALUE`
        case value
        /// `--flag VALUE VALUE …` (up to the next option)
        case list
        /// `--flag` / `--no-flag`
        case toggle
    }

    /// The flag without `--`, e.g. `weight-decay`.
    public let flag: String
    public let form: Form
    public let help: String
    /// Whether the value must be a positive integer (checked by `Recipe.validate`).
    let positive: Bool
    /// The YAML key: the flag with `_` for `-`.
    public var key: String { flag.replacingOccurrences(of: "-", with: "_") }

    let isSet: (Recipe) -> Bool
    let copy: (Recipe, inout Recipe) -> Void
    /// Sets the value from the words after the flag (a toggle gets "true" or "false").
    let parse: (inout Recipe, [String]) throws -> Void
    let encode: (Recipe, inout KeyedEncodingContainer<RecipeKey>) throws -> Void
    let decode: (inout Recipe, KeyedDecodingContainer<RecipeKey>) throws -> Void
    /// The value as an integer, for the positivity check.
    let integer: (Recipe) -> Int?

    /// What the help shows, e.g. `--weight-decay <weight-decay>`.
    public var usage: String {
        switch form {
        case .value: return "--\(flag) <\(flag)>"
        case .list: return "--\(flag) <\(flag)> ..."
        case .toggle: return "--[no-]\(flag)"
        }
    }

    private init<V>(_ flag: String, _ path: WritableKeyPath<Recipe, V?>, _ help: String, form: Form, positive: Bool = false,
                    parse: @escaping ([String]) throws -> V,
                    encode: @escaping (V, inout KeyedEncodingContainer<RecipeKey>, RecipeKey) throws -> Void,
                    decode: @escaping (KeyedDecodingContainer<RecipeKey>, RecipeKey) throws -> V?) {
        self.flag = flag
        self.form = form
        self.help = help
        self.positive = positive
        let key = RecipeKey(flag.replacingOccurrences(of: "-", with: "_"))
        isSet = { $0[keyPath: path] != nil }
        copy = { from, to in if let v = from[keyPath: path] { to[keyPath: path] = v } }
        self.parse = { recipe, words in recipe[keyPath: path] = try parse(words) }
        self.encode = { recipe, container in if let v = recipe[keyPath: path] { try encode(v, &container, key) } }
        self.decode = { recipe, container in if let v = try decode(container, key) { recipe[keyPath: path] = v } }
        integer = { $0[keyPath: path] as? Int }
    }

    /// A number or a string: `--flag VALUE`, `key: VALUE`.
    static func value<V: Codable & LosslessStringConvertible>(_ flag: String, _ path: WritableKeyPath<Recipe, V?>, _ help: String,
                                                              positive: Bool = false) -> RecipeOption {
        RecipeOption(flag, path, help, form: .value, positive: positive,
                     parse: { words in
                         guard let v = V(words[0]) else { throw RecipeFlagError("The value '\(words[0])' is invalid for '--\(flag) <\(flag)>'") }
                         return v
                     },
                     encode: { v, c, k in try c.encode(v, forKey: k) },
                     decode: { c, k in try c.decodeIfPresent(V.self, forKey: k) })
    }

    /// A list of numbers: `--flag A B …`, `key: [A, B]`.
    static func list(_ flag: String, _ path: WritableKeyPath<Recipe, [Float]?>, _ help: String) -> RecipeOption {
        RecipeOption(flag, path, help, form: .list,
                     parse: { words in
                         try words.map { word in
                             guard let v = Float(word) else { throw RecipeFlagError("The value '\(word)' is invalid for '--\(flag) <\(flag)> ...'") }
                             return v
                         }
                     },
                     encode: { v, c, k in try c.encode(v, forKey: k) },
                     decode: { c, k in try c.decodeIfPresent([Float].self, forKey: k) })
    }

    /// Words kept as one string, spaces between: `--flag A B …`, `key: A B` or `key: [A, B]`.
    static func words(_ flag: String, _ path: WritableKeyPath<Recipe, String?>, _ help: String) -> RecipeOption {
        RecipeOption(flag, path, help, form: .list,
                     parse: { words in words.joined(separator: " ") },
                     encode: { v, c, k in try c.encode(v, forKey: k) },
                     decode: { c, k in
                         if let list = try? c.decodeIfPresent([String].self, forKey: k) { return list.joined(separator: " ") }
                         return try c.decodeIfPresent(String.self, forKey: k)
                     })
    }

    /// One of named values: `--flag NAME`, `key: NAME`. A name that is not one is a one-line error
    /// listing the names (`unknown --precision fp16; use fp32 or bf16`).
    static func choice<V: RecipeText>(_ flag: String, _ path: WritableKeyPath<Recipe, V?>, _ help: String,
                                      unknown: @escaping (String) -> String = { _ in "" }) -> RecipeOption {
        func message(_ text: String, _ name: String) -> String {
            let custom = unknown(text)
            return (custom.isEmpty ? "unknown \(name) \(text)" : custom) + "; " + V.choices
        }
        return RecipeOption(flag, path, help, form: .value,
                            parse: { words in
                                guard let v = V(recipeText: words[0]) else { throw PixelwiseError.invalidArgument(message(words[0], "--" + flag)) }
                                return v
                            },
                            encode: { v, c, k in try c.encode(v.recipeText, forKey: k) },
                            decode: { c, k in
                                guard let text = try c.decodeIfPresent(String.self, forKey: k) else { return nil }
                                guard let v = V(recipeText: text) else {
                                    throw DecodingError.dataCorruptedError(forKey: k, in: c, debugDescription: message(text, k.stringValue))
                                }
                                return v
                            })
    }

    /// A switch: `--flag` / `--no-flag`, `key: true|false`; `on` and `off` are the values they mean.
    static func toggle<V: Equatable>(_ flag: String, _ path: WritableKeyPath<Recipe, V?>, on: V, off: V, _ help: String) -> RecipeOption {
        RecipeOption(flag, path, help, form: .toggle,
                     parse: { words in words[0] == "true" ? on : off },
                     encode: { v, c, k in try c.encode(v == on, forKey: k) },
                     decode: { c, k in try c.decodeIfPresent(Bool.self, forKey: k).map { $0 ? on : off } })
    }

    static func toggle(_ flag: String, _ path: WritableKeyPath<Recipe, Bool?>, _ help: String) -> RecipeOption {
        toggle(flag, path, on: true, off: false, help)
    }
}

/// A YAML key of a recipe.
public struct RecipeKey: CodingKey, Hashable {
    public let stringValue: String
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public var intValue: Int? { nil }
    public init?(intValue: Int) { nil }
}

/// A command line that does not parse (an unknown flag, a missing value, a word that is not a
/// number): a usage error, where a value that parses but names nothing is a `PixelwiseError`.
public struct RecipeFlagError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Recipe: Codable {
    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: RecipeKey.self)
        let known = Set(Self.options.map(\.key))
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw RecipeUnknownKeys(keys: unknown)
        }
        for option in Self.options { try option.decode(&self, container) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: RecipeKey.self)
        for option in Self.options { try option.encode(self, &container) }
    }
}

/// Keys a recipe does not know (a typo must never fall back to a default silently).
public struct RecipeUnknownKeys: Error, CustomStringConvertible {
    public let keys: [String]
    public var description: String {
        "unknown key\(keys.count > 1 ? "s" : "") \(keys.joined(separator: ", ")); known keys: \(Recipe.options.map(\.key).sorted().joined(separator: ", "))"
    }
}

extension Recipe {
    /// The recipe the words of a command line give (`--lr 0.01 --no-elastic --foreground 191 255`).
    /// Throws `RecipeFlagError` for words that do not parse and `PixelwiseError` for a name that
    /// names no choice.
    public init(flags words: [String]) throws {
        self.init()
        var rest = words[...]
        while let word = rest.popFirst() {
            guard word.hasPrefix("--") else { throw RecipeFlagError("Unexpected argument '\(word)'") }
            var name = String(word.dropFirst(2)), inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            var negated = false
            var option = Self.options.first { $0.flag == name }
            if option == nil, name.hasPrefix("no-"), let o = Self.options.first(where: { $0.flag == name.dropFirst(3) && $0.form == .toggle }) {
                option = o
                negated = true
            }
            guard let option else { throw RecipeFlagError("Unknown option '--\(name)'") }
            var values: [String]
            switch option.form {
            case .toggle:
                if inline != nil { throw RecipeFlagError("The flag '--\(name)' does not take a value") }
                values = [negated ? "false" : "true"]
            case .value:
                if let inline { values = [inline] } else {
                    guard let next = rest.popFirst(), !Self.isFlag(next) else { throw RecipeFlagError("Missing value for '--\(name) <\(name)>'") }
                    values = [next]
                }
            case .list:
                values = inline.map { [$0] } ?? []
                while let next = rest.first, !Self.isFlag(next) { values.append(next); rest.removeFirst() }
                if values.isEmpty { throw RecipeFlagError("Missing value for '--\(name) <\(name)> ...'") }
            }
            try option.parse(&self, values)
        }
    }

    /// Whether a word is an option name rather than a value (negative numbers are values).
    static func isFlag(_ word: String) -> Bool { word.hasPrefix("-") && Double(word) == nil }

    /// The options for a command's help, as swift-argument-parser lays out its own: the usage in
    /// two spaces, the help from column 27 (on the next line when the usage is longer), wrapped
    /// within 80 columns.
    public static var flagHelp: String {
        let column = 26, width = 79
        return options.map { option in
            var lines: [String] = [], line = ""
            for word in option.help.split(separator: " ") {
                if !line.isEmpty && column + line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            lines.append(line)
            let usage = "  " + option.usage
            let indent = String(repeating: " ", count: column)
            let first = usage.count < column ? usage.padding(toLength: column, withPad: " ", startingAt: 0) + lines[0] : usage + "\n" + indent + lines[0]
            return ([first] + lines.dropFirst().map { indent + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
