import ImageIO
import Tensor

/// Conversions between 8-bit interleaved RGB images and [1, 3, H, W] float tensors in 0…1.
public enum ImageTensor {
    public static func tensor(from image: RGBImage) -> Tensor {
        let plane = image.width * image.height
        var t = Tensor(uninitialized: [1, 3, image.height, image.width])
        t.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for i in 0..<plane {
                    dst[i] = Float(src[3 * i]) / 255
                    dst[plane + i] = Float(src[3 * i + 1]) / 255
                    dst[2 * plane + i] = Float(src[3 * i + 2]) / 255
                }
            }
        }
        return t
    }

    public static func image(from t: Tensor) -> RGBImage {
        precondition(t.rank == 4 && t.shape[0] == 1 && t.shape[1] == 3)
        let (h, w) = (t.shape[2], t.shape[3])
        let plane = h * w
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        t.withUnsafeBufferPointer { src in
            for i in 0..<plane {
                for c in 0..<3 {
                    let v = src[c * plane + i] * 255 + 0.5
                    pixels[3 * i + c] = UInt8(v.isNaN ? 0 : min(max(v, 0), 255))
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
