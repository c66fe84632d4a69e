import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#endif

let usage = """
usage: atelier <command> [options]

  serve            [--host 0.0.0.0] [--port 8080] [--data DIR] [--models DIR] [--workers N] [--queue N]
                   run the HTTP service (environment: ATELIER_HOST, ATELIER_PORT, ATELIER_DATA, ATELIER_MODELS,
                   ATELIER_WORKERS, ATELIER_QUEUE, ATELIER_THREADS, ATELIER_DEFAULT_MODEL / --default-model)
                   [--store postgres://…] [--role all|api|trainer]: replicas sharing one PostgreSQL database
                   (ATELIER_STORE, ATELIER_ROLE; api serves and queues jobs, trainer runs them on no public port)
                   [--admin-port N [--admin-host 127.0.0.1]]: /metrics (then not on the public port) and the
                   probes on a listener of their own (ATELIER_ADMIN_PORT, ATELIER_ADMIN_HOST; trainers too)
  stylize IN OUT   [--style 3 | 3:0.5,12:0.5] [--model NAME] [--strength S] [--preserve-color]
                   [--style-image PAINTING[,PAINTING…] [--alpha A] [--style-size 512]]
                   [--max-size N] [--quality Q] [--data DIR] [--models DIR]
                   stylize one image offline with the same pipeline (OUT: .png or .jpg)
  contact-sheet IN... OUT [--tile 256] [--model NAME[,NAME…]] [--max-styles N] [--columns N]
                   [--paintings P1,P2,… [--alpha A] [--style-size S]]
                   one row per photo and model: the photo, then the model's styles (or the paintings' styles)
  inspect-stylebank WEIGHTS IN OUT [--size 512] [--style N]
                   training diagnostic: auto-encoder (or one style's) output and each block's largest activation
  eval-stylebank WEIGHTS --content DIR --styles DIR [--size 256] [--style-size N]
                   training losses on every photo × style, to compare snapshots (content, style, identity)
  eval-arbitrary   --content DIR --paintings DIR [--size 384] [--model adain[,magenta]] [--alpha 1]
  eval-munit       --photos DIR --paintings DIR [--weights FILE] [--seeds 8] [--size 256] [--sheet OUT.jpg]
                   every photo × painting through the arbitrary-style models: style distance to its own painting
                   and to the others (VGG16 μ/σ, relu1_1…relu4_1), content loss at relu4_1
  import-weights multistyle26|vgg16 MODEL.onnx OUT.safetensors
                   convert third-party ONNX weights (used by scripts/fetch_weights.sh)
  bench            [--sizes 256,512,1024] [--repeats 5] [--json]
                   time the networks and kernels (make bench compares them with onnxruntime)
  profile          [--network multistyle26|vgg16|magenta|stylebank-train|stylebank-learn|munit-train|…] [--size 1024]
                   where a network's (or a training step's) time goes, op by op
  train stylebank  --content DIR --styles DIR [--out data/training/stylebank] [--size 256] [--batch 4]
                   [--iterations N] [--checkpoint-every 50] [--lr 1e-3] [--style-weight W] [--fresh] [--init W.safetensors]
                   [--photo-side N (photos' shorter side before cropping; 1.15 × size)]
                   [--residual-blocks E,D (default 2,2; with --init, blocks the file lacks start as the identity)]
                   [--average 0.999 (exported weights: exponential average of the iterates; 0: the last iterate)]
                   train a StyleBank from folders of images; resumes from OUT/checkpoint.safetensors
  train adain      --content DIR --styles DIR [--out data/training/adain] [--size 256] [--batch 8]
                   [--iterations 160000] [--lr 1e-4] [--lr-decay 5e-5] [--style-weight 10] [--photo-side 512]
                   [--style-side 512] [--checkpoint-every 100] [--fresh] [--init adain-decoder.safetensors]
                   train AdaIN's decoder (VGG16 encoder to relu4_1, frozen); resumes from OUT/checkpoint.safetensors
  train munit      --a DIR --b DIR [--out data/training/munit] [--size 128] [--batch 1] [--width 32]
                   [--residual-blocks 3] [--iterations N] [--checkpoint-every 200] [--lr 1e-4] [--lr-step 100000]
                   [--side 2×size] [--gan-weight 1] [--image-weight 10] [--style-weight 1] [--content-weight 1]
                   [--seed 1] [--max-images N] [--log-every 20] [--fresh]
                   train MUNIT between two folders (a: photos, b: paintings); resumes from OUT/checkpoint.safetensors

every command: ATELIER_THREADS=N caps the threads its kernels use (default: one per core)
"""

let commands: [String: (ArraySlice<String>) throws -> Void] = [
    "serve": ServeCommand.run,
    "stylize": StylizeCommand.run,
    "contact-sheet": ContactSheetCommand.run,
    "import-weights": ImportCommand.run,
    "bench": BenchCommand.run,
    "profile": ProfileCommand.run,
    "train": TrainCommand.run,
    "inspect-stylebank": InspectCommand.run,
    "eval-stylebank": EvalCommand.run,
    "eval-arbitrary": EvalArbitraryCommand.run,
    "eval-munit": EvalMUNITCommand.run,
]

Parallel.flushDenormals()   // the main thread runs the single-threaded steps of the commands
// Every command's kernels use at most ATELIER_THREADS threads (default: every core), so a
// training can be kept to one core while the other builds or serves.
if let t = ProcessInfo.processInfo.environment["ATELIER_THREADS"].flatMap(Int.init), t > 0 { Parallel.maxThreads = t }
let argv = CommandLine.arguments
guard argv.count >= 2, let command = commands[argv[1]] else {
    if argv.count >= 2 && ["-h", "--help", "help"].contains(argv[1]) { print(usage); exit(0) }
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
do {
    try command(argv.dropFirst(2))
} catch {
    FileHandle.standardError.write(Data("atelier \(argv[1]): \(error)\n".utf8))
    exit(1)
}
