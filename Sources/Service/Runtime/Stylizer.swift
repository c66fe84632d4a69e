import Foundation
import ImageIO
import Models
import Tensor

/// What to do to one image: the parsed, validated form of a `/stylize` request.
struct StylizeOptions {
    var model: StyleModel
    var spec: StyleSpec
    /// 0…1: how much of the stylized image to mix over the (resized) original.
    var strength: Float = 1
    /// Keep the original's colours (chroma) under the stylized luminance.
    var preserveColor = false
    /// Longest side the image is stylized at; smaller images keep their size.
    var maxSide: Int
    /// Region-wise styling from a mask instead of `blend`; `feather` nil = automatic.
    var regions: (mask: RegionMask, parts: [StyleSpec], feather: Int?)? = nil
}

/// The pipeline from a decoded image to a stylized one.
enum Stylizer {
    struct Result {
        let image: RGBImage
        let inferenceSeconds: Double
    }

    static func run(_ input: RGBImage, options: StylizeOptions, minSide: Int) throws -> Result {
        let image = input.fitted(maxSide: options.maxSide)
        guard min(image.width, image.height) >= minSide else {
            throw APIError.unprocessable("image is \(image.width)×\(image.height) after resizing; both sides need at least \(minSide) pixels",
                                         code: "image_too_small")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let input = ImageTensor.tensor(from: image)
        let output: Tensor
        if let r = options.regions {
            let feather = r.feather ?? RegionStyles.automaticFeather(width: image.width, height: image.height)
            output = try options.model.stylize(input, regions: RegionStyles(mask: r.mask, parts: r.parts, feather: feather))
        } else {
            output = try options.model.stylize(input, spec: options.spec)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var result = ImageTensor.image(from: output)
        if options.preserveColor { result = result.preservingColor(of: image) }
        if options.strength < 1 { result = image.blended(with: result, amount: options.strength) }
        return Result(image: result, inferenceSeconds: seconds)
    }
}
