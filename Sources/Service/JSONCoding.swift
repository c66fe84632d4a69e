import Foundation

/// The service's JSON: ISO 8601 dates everywhere, sorted keys; files (jobs.json, the style index)
/// pretty-printed for people reading the data folder, API bodies compact with plain slashes.
extension JSONEncoder {
    static var api: JSONEncoder { make([.sortedKeys, .withoutEscapingSlashes]) }
    static var file: JSONEncoder { make([.prettyPrinted, .sortedKeys]) }

    private static func make(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = formatting
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.file` wrote.
    static var file: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
