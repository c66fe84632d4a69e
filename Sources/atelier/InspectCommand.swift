import Foundation
import ImageIO
import Models
import Tensor
import Training

/// `atelier inspect-stylebank WEIGHTS IN OUT.png [--size 512] [--style N]`: a training diagnostic.
/// Writes the auto-encoder's reconstruction D(E(x)) (or D(K_N(E(x))) with --style) and prints, per
/// block, each activation's largest value and where it is — a localized spike that every style
/// shares points at the auto-encoder, not the banks.
enum InspectCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["size", "style"])
        guard a.positional.count == 3 else { throw CLIError("usage: atelier inspect-stylebank WEIGHTS IN OUT.png [--size 512] [--style N]") }
        let file = try StyleBankExport.read(URL(fileURLWithPath: a.positional[0]))
        let network = try StyleBankNetwork(weights: file.weights, styles: file.styles.map(\.id))
        let size = try a.int("size") ?? 512
        let photo = try ServiceSetup.readImage(a.positional[1], maxPixels: 64 << 20).fitted(maxSide: size)
        let image = ImageTensor.tensor(from: photo.resized(width: photo.width / 4 * 4, height: photo.height / 4 * 4))
        var x = image
        func report(_ name: String, _ t: Tensor) {
            let v = t.scalars
            let (i, m) = v.indices.reduce((0, -Float.infinity)) { v[$1] > $0.1 ? ($1, v[$1]) : $0 }
            let (h, w) = (t.shape[2], t.shape[3])
            let mean = v.reduce(0, +) / Float(v.count)
            print(String(format: "%-12@ %@  mean %8.3f  max %8.3f at channel %d (y %d, x %d)", name, "\(t.shape)", mean, m,
                         i / (h * w), i % (h * w) / w, i % w))
        }
        for layer in network.encoder { x = layer(x); report(layer.name, x) }
        if let s = try a.int("style") {
            guard let bank = network.banks[s] else { throw CLIError("no bank \(s)") }
            x = bank(x); report(bank.spec.name, x)
        }
        for layer in network.decoder { x = layer(x); report(layer.name, x) }
        try ServiceSetup.writeImage(ImageTensor.image(from: x), to: a.positional[2], quality: 92)
    }
}
