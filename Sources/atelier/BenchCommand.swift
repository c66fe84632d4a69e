import Foundation
import ImageIO
import Service
import Models
import Tensor
import Training

/// `atelier bench`: times our kernels and networks. `make bench` runs it beside onnxruntime
/// (scripts/bench_peer.py) on the same networks and inputs and prints the ratios.
enum BenchCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: ["json"])
        try a.checkKnown(["models", "data", "repeats", "sizes", "json", "png-photo"])
        let config = ServiceSetup.config(a)
        let repeats = try a.int("repeats") ?? 5
        let sizes = (a.options["sizes"] ?? "256,512,1024").split(separator: ",").compactMap { Int($0) }
        var results: [String: Any] = [:]
        var gemmShapes: [[String: Any]] = []
        print("kernels: \(GEMM.variant), threads: \(Parallel.maxThreads)")
        // What the kernels' GFLOP/s below are held against.
        let peak = FMAPeak.measure()
        results["fma_peak_1_thread"] = peak.oneThread
        results["fma_peak_all_threads"] = peak.allThreads
        print(String(format: "fma peak: %.1f GFLOP/s on 1 thread, %.1f on %d", peak.oneThread, peak.allThreads, peak.threads))

        let multistyle = try MultiStyleNetwork(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("multistyle26.safetensors")).tensors)
        var weights = [Float](repeating: 0, count: 26)
        weights[3] = 1
        for size in sizes {
            let x = Tensor(shape: [1, 3, size, size], repeating: 0.5)
            let t = median(repeats) { _ = multistyle(x, styleWeights: weights) }
            results["multistyle26_\(size)"] = t
            print(String(format: "multistyle26 %4d²: %8.1f ms", size, t * 1000))
        }

        // The default model, style 3 alone; scripts/export_stylebank_onnx.py gives onnxruntime the same network.
        let stylebankFile = config.modelsDirectory.appendingPathComponent("stylebank.safetensors")
        if FileManager.default.fileExists(atPath: stylebankFile.path) {
            let stylebank = try StyleBankNetwork(weights: SafeTensors.load(stylebankFile).tensors, styles: [3])
            for size in sizes {
                let x = Tensor(shape: [1, 3, size, size], repeating: 0.5)
                let t = median(repeats) { _ = stylebank(x, blend: [3: 1]) }
                results["stylebank_\(size)"] = t
                print(String(format: "stylebank %4d²: %8.1f ms", size, t * 1000))
            }
        }

        let vgg = try VGG16(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors)
        let x = Tensor(shape: [1, 3, 256, 256], repeating: 10)
        let tv = median(repeats) { _ = vgg.features(x, at: ["block4_conv3"]) }
        results["vgg16_relu4_3_256"] = tv
        print(String(format: "vgg16 to relu4_3 256²: %8.1f ms", tv * 1000))

        // Magenta's arbitrary style transfer (int8 graphs run in float with their roundings), when imported.
        let magentaFiles = ["magenta-predict.safetensors", "magenta-transform.safetensors"].map { config.modelsDirectory.appendingPathComponent($0) }
        if magentaFiles.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
            let magenta = try MagentaNetwork(predictFile: magentaFiles[0], transformFile: magentaFiles[1])
            let painting = Tensor(shape: [1, 3, 256, 256], repeating: 0.5)
            var embedding: [Float] = []
            let tp = median(repeats) { embedding = (try? magenta.embedding(painting)) ?? [] }
            results["magenta_predict_256"] = tp
            print(String(format: "magenta predict 256²: %8.1f ms", tp * 1000))
            for size in sizes {
                let x = Tensor(shape: [1, 3, size, size], repeating: 0.5)
                let t = median(repeats) { _ = try? magenta.stylize(x, embedding: embedding) }
                results["magenta_transform_\(size)"] = t
                print(String(format: "magenta transform %4d²: %8.1f ms", size, t * 1000))
            }
        }

        // AdaIN (ours alone: no peer runs our decoder) at 512², by part, when its decoder is installed.
        let decoderFile = config.modelsDirectory.appendingPathComponent(AdaINExport.fileName)
        if FileManager.default.fileExists(atPath: decoderFile.path) {
            let adain = try AdaINNetwork(vggWeights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors,
                                         decoderWeights: AdaINExport.read(decoderFile).weights)
            // The painting at the side the service scales it to by default.
            let side = AdaINModel.paintingSide
            let photo = Tensor(shape: [1, 3, 512, 512], repeating: 0.5), painting = Tensor(shape: [1, 3, side, side], repeating: 0.4)
            let style = adain.styleMoments(painting)
            var features = adain.encode(photo)
            let te = median(repeats) { features = adain.encode(photo) }
            let ts = median(repeats) { _ = adain.styleMoments(painting) }
            let target = adaptiveInstanceNorm(features, style: style)
            let td = median(repeats) { _ = adain.decode(target) }
            let cached = median(repeats) { _ = adain.stylize(photo, style: style) }
            results["adain_512_content_encoding"] = te
            results["adain_512_style_encoding"] = ts
            results["adain_512_decoding"] = td
            results["adain_512_cached_style"] = cached
            results["adain_512_new_style"] = cached + ts
            print(String(format: "adain 512² (painting %d²): content encoding %.1f ms, style encoding %.1f ms, decoding %.1f ms; cached style %.1f ms, new style %.1f ms",
                         side, te * 1000, ts * 1000, td * 1000, cached * 1000, (cached + ts) * 1000))
        }

        // MUNIT (ours alone) at 512², by part: the trained generators when installed, else fresh
        // weights of the same architecture (the time does not depend on the values).
        let munitFile = config.modelsDirectory.appendingPathComponent(MUNITExport.fileName)
        let munit: (a: MUNITGenerator, b: MUNITGenerator)
        if FileManager.default.fileExists(atPath: munitFile.path) {
            let file = try MUNITExport.read(munitFile)
            munit = (file.a, file.b)
        } else {
            let arch = MUNITArchitecture(), p = arch.initialParameters(seed: 1)
            munit = (try MUNITGenerator(architecture: arch, domain: "a", parameters: p), try MUNITGenerator(architecture: arch, domain: "b", parameters: p))
        }
        do {
            let photo = Tensor(shape: [1, 3, 512, 512], repeating: 0.5), painting = Tensor(shape: [1, 3, 256, 256], repeating: 0.4)
            var content = munit.a.encodeContent(photo)
            let tc = median(repeats) { content = munit.a.encodeContent(photo) }
            let ts = median(repeats) { _ = munit.b.encodeStyle(painting) }
            let code = MUNITImages.randomStyle(seed: 1, dimension: munit.b.architecture.styleDimension)
            let td = median(repeats) { _ = munit.b.decode(content: content, style: code) }
            results["munit_512_content_encoding"] = tc
            results["munit_256_style_encoding"] = ts
            results["munit_512_decoding"] = td
            print(String(format: "munit 512²: content encoding %.1f ms, decoding (MLP + decoder) %.1f ms; example style encoding (256²) %.1f ms",
                         tc * 1000, td * 1000, ts * 1000))
        }

        // PNG encoding of a stylized photo at 512²: time and size by zlib level and row filters.
        if let photoPath = a.options["png-photo"] {
            let photo = ImageTensor.tensor(from: try ServiceSetup.readImage(photoPath, maxPixels: config.maxInputPixels).fitted(maxSide: 512))
            let image = ImageTensor.image(from: multistyle(photo, styleWeights: weights))
            var table: [[String: Any]] = []
            for level: Int32 in [1, 2, 3, 6] {
                for (name, filters) in [("none", PNGOptions.Filters.none), ("sub", .sub), ("up", .up), ("paeth", .paeth), ("all", .all)] as [(String, PNGOptions.Filters)] {
                    let options = PNGOptions(level: level, filters: filters)
                    var bytes = 0
                    let t = median(repeats) { bytes = (try? ImageCodec.encodePNG(image, options: options).count) ?? 0 }
                    table.append(["level": Int(level), "filters": name, "seconds": t, "bytes": bytes])
                    print(String(format: "png %d×%d level %d filters %-5@: %6.1f ms, %7.1f KB", image.width, image.height, level, name, t * 1000, Double(bytes) / 1024))
                }
            }
            let jpeg = median(repeats) { _ = try? ImageCodec.encodeJPEG(image, quality: 90) }
            print(String(format: "jpeg %d×%d quality 90: %6.1f ms", image.width, image.height, jpeg * 1000))
            results["png_512"] = table
            results["jpeg_512_q90"] = jpeg
        }

        // The convolutions the networks run, as the GEMM shapes they amount to:
        // M = Cout, N = output pixels, K = Cin·k·k. The peer times OpenBLAS sgemm on the same M, N, K.
        for (cin, cout, kernel, oh, ow, label) in [(32, 32, 3, 64, 64, "multistyle 3×3 32→32"), (3, 32, 9, 64, 64, "multistyle 9×9 3→32"),
                                                   (64, 128, 3, 64, 64, "vgg 3×3 64→128"), (256, 512, 3, 32, 32, "vgg 3×3 256→512"),
                                                   (512, 512, 3, 16, 32, "vgg 3×3 512→512")] {
            let (m, n, k) = (cout, oh * ow, cin * kernel * kernel)
            let (gflops, inner) = convGFLOPs(cin: cin, cout: cout, kernel: kernel, outH: oh, outW: ow, repeats: repeats)
            let (direct, _) = convGFLOPs(cin: cin, cout: cout, kernel: kernel, outH: oh, outW: ow, repeats: repeats, directOnly: true)
            results["gemm_\(m)x\(n)x\(k)"] = gflops
            results["direct_\(m)x\(n)x\(k)"] = direct
            gemmShapes.append(["m": m, "n": n, "k": k, "label": label, "gflops": gflops, "inner": inner])
            print(String(format: "conv as gemm %4d×%5d×%5d (%@): %7.1f GFLOP/s (direct path %.1f)", m, n, k, label, gflops, direct))
        }
        if a.flags.contains("json") {
            // How the numbers were taken, so a peer (scripts/bench_peer.py) can repeat exactly this.
            results["meta"] = ["kernels": "\(GEMM.variant)", "threads": Parallel.maxThreads, "repeats": repeats,
                               "warmup": 1, "statistic": "median", "gemm_shapes": gemmShapes,
                               "multistyle_input": "1x3xSxS filled with 0.5, style 3", "vgg_input": "1x3x256x256 filled with 10",
                               "magenta_input": "painting 1x3x256x256 filled with 0.5 (predict), photo 1x3xSxS filled with 0.5 with its embedding (transform)"]
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Median wall time of `repeats` runs after one warm-up.
    static func median(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Throughput of `Conv2D` (what inference runs, both threads: Winograd for 3×3 stride-1 layers
    /// of ≥ 64 channels, else the implicit GEMM; `directOnly` times the implicit GEMM alone) on an
    /// input already padded so the output is outH×outW, counting the direct convolution's
    /// 2·M·N·K FLOPs either way. One call can be well under a millisecond, so each timed sample
    /// is a batch of `inner` calls (about 20 ms; the peer uses the same count).
    static func convGFLOPs(cin: Int, cout: Int, kernel: Int, outH: Int, outW: Int, repeats: Int,
                           directOnly: Bool = false) -> (gflops: Double, inner: Int) {
        let conv = Conv2D(weight: Tensor(shape: [cout, cin, kernel, kernel], repeating: 0.01))
        let x = Tensor(shape: [1, cin, outH + kernel - 1, outW + kernel - 1], repeating: 0.02)
        let once = directOnly ? { _ = conv.direct(x) } : { _ = conv(x) }
        let one = median(3, once)
        let inner = max(1, min(1000, Int(0.02 / max(one, 1e-6))))
        let t = median(repeats) { for _ in 0..<inner { once() } } / Double(inner)
        return (2 * Double(cout) * Double(outH * outW) * Double(cin * kernel * kernel) / t / 1e9, inner)
    }
}
