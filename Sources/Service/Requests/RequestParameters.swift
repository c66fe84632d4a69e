import HTTP

/// A request's named values, from the query string and the multipart text fields alike, and its
/// files: what a route reads its parameters from. Built against the route's list of names, so a
/// name the route does not know is refused (400 naming it) instead of silently ignored, and so is
/// a name given twice (in the query and a field, or twice in either).
struct RequestParameters {
    private(set) var values: [String: String] = [:]
    let upload: Upload

    /// `known`: the text parameters the route takes; `files`: its file fields (a repeated one
    /// only if `repeatable` names it).
    init(query: [(name: String, value: String)], upload: Upload, route: String,
         known: Set<String>, files: Set<String>, repeatable: Set<String> = []) throws {
        self.upload = upload
        let all = (known.union(files)).sorted().joined(separator: ", ")
        for (name, value) in query.map({ ($0.name, $0.value) }) + upload.fields.flatMap({ f in f.value.map { (f.key, $0) } }) {
            guard known.contains(name) else {
                throw APIError.badRequest(files.contains(name)
                    ? "'\(name)' must be sent as a file (curl -F \(name)=@FILE)"
                    : "\(route) takes no parameter '\(name)'; it takes \(all)", code: "unknown_parameter")
            }
            guard values[name] == nil else { throw APIError.badRequest("'\(name)' is given more than once", code: "duplicate_parameter") }
            values[name] = value
        }
        for (name, parts) in upload.files {
            guard files.contains(name) else {
                throw APIError.badRequest("\(route) takes no file '\(name)'; it takes \(all)", code: "unknown_parameter")
            }
            guard parts.count == 1 || repeatable.contains(name) else {
                throw APIError.badRequest("'\(name)' is sent more than once", code: "duplicate_parameter")
            }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    func int(_ name: String, in range: ClosedRange<Int>, what: String = "an integer") throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(v) else {
            throw APIError.badRequest("\(name) must be \(what) from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return v
    }

    func number(_ name: String, in range: ClosedRange<Float>) throws -> Float? {
        guard let text = values[name] else { return nil }
        guard let v = Float(text.trimmingCharacters(in: .whitespaces)), v.isFinite, range.contains(v) else {
            throw APIError.badRequest("\(name) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return v
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = values[name] else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw APIError.badRequest("\(name) must be true or false, not '\(text)'")
        }
    }
}
