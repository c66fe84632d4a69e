/// Parses header values of the form `value; name=token; other="quoted \"string\""`, as used
/// by `Content-Type` and `Content-Disposition`.
struct HeaderParameters {
    /// The part before the first ';', trimmed and lower-cased (e.g. "multipart/form-data").
    var value: String
    /// Parameter names lower-cased; values unquoted and unescaped. The first occurrence of a
    /// name wins.
    var parameters: [String: String]

    init(_ header: String) {
        let characters = Array(header)
        var index = 0
        var main = ""
        while index < characters.count, characters[index] != ";" {
            main.append(characters[index])
            index += 1
        }
        value = main.trimmingASCIIWhitespace().lowercased()
        parameters = [:]

        while index < characters.count {
            index += 1  // the ';'
            var name = ""
            while index < characters.count, characters[index] != "=", characters[index] != ";" {
                name.append(characters[index])
                index += 1
            }
            var parameterValue = ""
            if index < characters.count, characters[index] == "=" {
                index += 1
                while index < characters.count, characters[index] == " " || characters[index] == "\t" { index += 1 }
                if index < characters.count, characters[index] == "\"" {
                    index += 1
                    while index < characters.count, characters[index] != "\"" {
                        if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                        parameterValue.append(characters[index])
                        index += 1
                    }
                    // Skip the closing quote and anything up to the next ';'.
                    while index < characters.count, characters[index] != ";" { index += 1 }
                } else {
                    while index < characters.count, characters[index] != ";" {
                        parameterValue.append(characters[index])
                        index += 1
                    }
                    parameterValue = parameterValue.trimmingASCIIWhitespace()
                }
            }
            let key = name.trimmingASCIIWhitespace().lowercased()
            if !key.isEmpty, parameters[key] == nil {
                parameters[key] = parameterValue
            }
        }
    }
}
