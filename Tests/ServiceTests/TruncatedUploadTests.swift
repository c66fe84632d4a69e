import XCTest
import HTTP
import ImageIO
@testable import Service

/// Property: an upload cut short anywhere is answered with a 4xx, at the route's header check
/// (`StylizeRequestCheck`) and at the worker's decode alike, never a crash or a 500; a cut that
/// only drops what follows the image data may still decode, to the same pixels.
final class TruncatedUploadTests: XCTestCase {
    static let image: RGBImage = {
        let (w, h) = (24, 16)
        let pixels = (0..<w * h).flatMap { i -> [UInt8] in
            let (x, y) = (i % w, i / w)
            return [UInt8(x * 10), UInt8(y * 15), UInt8((x * y) % 256)]
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }()

    func testEveryTruncationIsA4xx() throws {
        for (format, bytes) in [("png", try ImageCodec.encodePNG(Self.image)), ("jpeg", try ImageCodec.encodeJPEG(Self.image))] {
            let whole = try ImageCodec.decode(bytes)
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                let request = HTTPRequest(method: "POST", target: "/stylize?style=1", headers: ["Content-Type": "image/\(format)"], body: prefix)
                let status = StylizeRequestCheck.status(of: request, maxInputPixels: 1 << 20)
                XCTAssertTrue(status == 200 || (400..<500).contains(status), "\(format) cut to \(length): header check answered \(status)")
                do {
                    let image = try AtelierService.decode(prefix, field: "image", maxPixels: 1 << 20)
                    XCTAssertEqual(image, whole, "\(format) cut to \(length)")
                } catch let error as APIError {
                    XCTAssertTrue((400..<500).contains(error.status), "\(format) cut to \(length): \(error.status) \(error.message)")
                } catch {
                    XCTFail("\(format) cut to \(length): \(error) is not an APIError (a 500)")
                }
            }
        }
    }
}
