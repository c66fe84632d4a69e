import HTTP
import ImageIO

/// The uploaded files and fields of a request: a `multipart/form-data` form, or a raw image body.
struct Upload {
    /// Files by field name, in the order sent (a field such as `style_image` may repeat).
    var files: [String: [[UInt8]]] = [:]
    /// Text fields; a name sent twice keeps both values (`RequestParameters` refuses that).
    var fields: [String: [String]] = [:]
    /// Field names that carry files: a part with a filename, or one of these names.
    static let fileFields: Set<String> = ["image", "style_image", "mask"]

    static let imageMediaTypes: Set<String> = ["image/png", "image/jpeg", "image/jpg", "application/octet-stream"]

    init(_ request: HTTPRequest) throws {
        let contentType = request.headers["Content-Type"] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if mediaType == "multipart/form-data" {
            let parts: [MultipartPart]
            do { parts = try Multipart.parse(body: request.body, contentType: contentType) } catch {
                throw APIError.badRequest("\(error)", code: "malformed_multipart")
            }
            for part in parts {
                if part.filename != nil || Self.fileFields.contains(part.name) {
                    files[part.name, default: []].append(part.body)
                } else {
                    fields[part.name, default: []].append(String(decoding: part.body, as: UTF8.self))
                }
            }
        } else if Self.imageMediaTypes.contains(mediaType) || (mediaType.isEmpty && !request.body.isEmpty) {
            files["image"] = [request.body]
        } else if mediaType.isEmpty && request.body.isEmpty {
            // Nothing uploaded (POST /styles?model=munit&seed=7): the route asks for what it needs.
        } else {
            throw APIError.unsupportedMediaType("send the image as multipart/form-data (field 'image') or as an image/png or image/jpeg body, not '\(mediaType)'")
        }
    }

    /// The named image, checked to be a PNG or JPEG within the pixel limit (header only).
    func image(_ field: String, maxPixels: Int) throws -> (bytes: [UInt8], format: ImageFormat) {
        guard let bytes = files[field]?.first, !bytes.isEmpty else {
            throw APIError.badRequest("the request has no '\(field)' image", code: "missing_image")
        }
        if (files[field]?.count ?? 0) > 1 { throw APIError.badRequest("'\(field)' is sent more than once") }
        return try Self.checked(bytes, field: field, maxPixels: maxPixels)
    }

    /// Every image sent as `field` (none: empty), each checked like `image`.
    func images(_ field: String, maxPixels: Int) throws -> [(bytes: [UInt8], format: ImageFormat)] {
        try (files[field] ?? []).map { bytes in
            guard !bytes.isEmpty else { throw APIError.badRequest("a '\(field)' part is empty", code: "missing_image") }
            return try Self.checked(bytes, field: field, maxPixels: maxPixels)
        }
    }

    static func checked(_ bytes: [UInt8], field: String, maxPixels: Int) throws -> (bytes: [UInt8], format: ImageFormat) {
        guard let format = ImageCodec.detectFormat(bytes) else {
            throw APIError.unsupportedMediaType("'\(field)' is not a PNG or JPEG image")
        }
        let size: (format: ImageFormat, width: Int, height: Int)
        do { size = try ImageCodec.probe(bytes) } catch let error as ImageError {
            throw Self.apiError(error, field: field)
        }
        guard size.width * size.height <= maxPixels else {
            throw APIError.unprocessable("'\(field)' is \(size.width)×\(size.height) = \(size.width * size.height) pixels; the limit is \(maxPixels)",
                                         code: "image_too_large")
        }
        return (bytes, format)
    }

    static func apiError(_ error: ImageError, field: String) -> APIError {
        switch error.kind {
        case .unsupportedFormat: return .unsupportedMediaType("'\(field)': \(error.message)")
        case .tooLarge: return .unprocessable("'\(field)': \(error.message)", code: "image_too_large")
        case .corrupt, .empty: return .unprocessable("'\(field)' cannot be decoded: \(error.message)")
        }
    }
}
