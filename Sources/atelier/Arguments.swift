/// A small command-line reader: positional arguments and `--name value` / `--flag` options.
struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    /// `flagNames` are options that take no value.
    init(_ args: ArraySlice<String>, flagNames: Set<String>) throws {
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            if a.hasPrefix("--") {
                let name = String(a.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    options[String(name[..<eq])] = String(name[name.index(after: eq)...])
                } else if flagNames.contains(name) {
                    flags.insert(name)
                } else {
                    guard i + 1 < args.endIndex else { throw CLIError("option --\(name) needs a value") }
                    options[name] = args[i + 1]
                    i += 1
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let v = options[name] else { return nil }
        guard let i = Int(v) else { throw CLIError("--\(name) must be an integer, got '\(v)'") }
        return i
    }

    func float(_ name: String) throws -> Float? {
        guard let v = options[name] else { return nil }
        guard let f = Float(v) else { throw CLIError("--\(name) must be a number, got '\(v)'") }
        return f
    }

    /// Fails on options the command does not know, so typos do not pass silently.
    func checkKnown(_ known: Set<String>) throws {
        for name in Set(options.keys).union(flags) where !known.contains(name) {
            throw CLIError("unknown option --\(name)")
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
