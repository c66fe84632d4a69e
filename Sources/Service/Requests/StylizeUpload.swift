import HTTP
import ImageIO

/// What `POST /stylize` reads from a request before it picks a model: its parameters, parsed and
/// range-checked, and its images, each checked from its header alone.
struct StylizeUpload {
    var request: StylizeRequest
    var input: (bytes: [UInt8], format: ImageFormat)
    var maskBytes: [UInt8]?
    var paintings: [(bytes: [UInt8], format: ImageFormat)]

    init(_ http: HTTPRequest, maxInputPixels: Int, limits: StylizeRequest.Limits) throws {
        let upload = try Upload(http)
        let parameters = try RequestParameters(query: http.queryItems, upload: upload, route: "POST /stylize",
                                               known: StylizeRequest.textParameters, files: StylizeRequest.fileParameters,
                                               repeatable: ["style_image"])
        input = try upload.image("image", maxPixels: maxInputPixels)
        maskBytes = upload.files["mask"] == nil ? nil : try upload.image("mask", maxPixels: maxInputPixels).bytes
        paintings = try upload.images("style_image", maxPixels: maxInputPixels)
        request = try StylizeRequest(parameters, paintings: paintings.count, hasMask: maskBytes != nil, limits: limits)
    }
}

/// The same checks, and the mask's regions, answered as a status code: public for the fuzz
/// targets (Fuzz/), which link the module without @testable.
public enum StylizeRequestCheck {
    /// 200 when `POST /stylize` would go on to choose a model; else the 4xx it answers; 500 when
    /// anything but a refusal is thrown (a bug: bad input must be refused with a reason).
    public static func status(of http: HTTPRequest, maxInputPixels: Int) -> Int {
        do {
            let upload = try StylizeUpload(http, maxInputPixels: maxInputPixels, limits: .init())
            if let mask = upload.maskBytes {
                _ = try RegionMask(AtelierService.decode(mask, field: "mask", maxPixels: maxInputPixels))
            }
            return 200
        } catch let error as APIError {
            return error.status
        } catch {
            return 500
        }
    }
}
