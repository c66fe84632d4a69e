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
        try run(input, options: options, minSide: minSide) { x, image in
            if let r = options.regions {
                let feather = r.feather ?? RegionStyles.automaticFeather(width: image.width, height: image.height)
                return [try options.model.stylize(x, regions: RegionStyles(mask: r.mask, parts: r.parts, feather: feather))]
            }
            return [try options.model.stylize(x, spec: options.spec)]
        }[0]
    }

    /// One output per spec (a request's samples) from the image fitted and converted once, the
    /// model given all the specs at once; each output's inference time is the whole's share.
    static func run(_ input: RGBImage, options: StylizeOptions, specs: [StyleSpec], minSide: Int) throws -> [Result] {
        try run(input, options: options, minSide: minSide) { x, _ in try options.model.stylize(x, specs: specs) }
    }

    /// Fits the image, runs `stylize` on it as a tensor, and applies colour preservation and
    /// strength to each output.
    private static func run(_ input: RGBImage, options: StylizeOptions, minSide: Int,
                            _ stylize: (Tensor, RGBImage) throws -> [Tensor]) throws -> [Result] {
        let image = input.fitted(maxSide: options.maxSide)
        guard min(image.width, image.height) >= minSide else {
            throw APIError.unprocessable("image is \(image.width)×\(image.height) after resizing; both sides need at least \(minSide) pixels",
                                         code: "image_too_small")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outputs = try stylize(ImageTensor.tensor(from: image), image)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(max(outputs.count, 1))
        return outputs.map { output in
            var result = ImageTensor.image(from: output)
            if options.preserveColor { result = result.preservingColor(of: image) }
            if options.strength < 1 { result = image.blended(with: result, amount: options.strength) }
            return Result(image: result, inferenceSeconds: seconds)
        }
    }
}
