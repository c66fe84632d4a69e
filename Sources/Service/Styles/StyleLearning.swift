import Foundation
import ImageIO
import Models
import Tensor
import Training

/// Learns new StyleBank styles in the background and keeps them (`POST /styles`,
/// `DELETE /styles/{id}`): one new bank K_N trained against the fixed auto-encoder (Chen et al.
/// §3.4, incremental learning), so no existing style changes.
///
/// Life of a learned style: `add` stores the image and a `training` record, then queues a job;
/// the job checkpoints every `checkpointSeconds`; on success the bank is written (F16), read back
/// and installed, and the style becomes `ready`. A user cancel removes the style; a failure marks
/// it `failed` with the reason; a shutdown leaves it `training`, and the next start queues it
/// again from its checkpoint.
final class StyleLearning: @unchecked Sendable {
    let model: StyleBankModel
    let store: StyleRepository
    let jobs: JobQueue
    let config: ServiceConfig
    /// Serializes finishing a job against deleting its style, so neither undoes the other.
    private let lock = NSLock()
    private let resources = NSLock()
    private var perceptualLoss: PerceptualLoss?
    private var photos: (keepSide: Int, folder: ImageFolder)?

    /// Shorter side of a stored style image, at most: room for any bank's style size (768 for
    /// the shipped one) to be taken from it when the style is learned again after an upgrade.
    static let storedImageSide = 1024
    static let photoSide = 320        // shorter side of the training photos (`atelier train --photo-side`, as the shipped bank)
    static let maxNameLength = 64
    static let jobKind = "train-style"

    /// `store`: the service's stored styles; this restores the StyleBank ones.
    init(model: StyleBankModel, store: StyleRepository, jobs: JobQueue, config: ServiceConfig) throws {
        self.model = model
        self.jobs = jobs
        self.config = config
        self.store = store
        jobs.register(kind: Self.jobKind, JobRunner(
            run: { [weak self] id, context in
                guard let self, let id else { throw JobCancelled(reason: .shutdown) }
                try self.runJob(id, context: context)
            },
            cancelled: { [weak self] id in if let id { self?.forget(id) } },
            abandoned: { [weak self] id, reason in if let id { self?.markFailed(id, reason) } }))
        for style in try store.all() where style.model == model.name { restore(style) }
    }

    /// Puts a stored style back after a start: ready banks are installed, interrupted ones queued again.
    private func restore(_ style: StoredStyle) {
        switch style.status {
        case .ready:
            do {
                let bank = try store.bank(style.id)
                guard bank.autoencoder == model.autoencoderFingerprint else {
                    // Learned against other StyleBank weights (an upgrade replaced them): its bank would
                    // decode to noise, so learn it again from the stored style image.
                    return requeue(style.id, failure: "could not be learned again for the new StyleBank weights")
                }
                try model.installBank(style.id, name: style.name, weights: bank.weights)
            } catch {
                markFailed(style.id, "its weights could not be loaded: \(error)")
            }
        case .failed:
            model.setStyle(style.info)
        case .training:
            if jobs.survivesRestarts, let jobID = style.jobID, let job = try? jobs.job(jobID), !job.isFinished {
                model.setStyle(style.info)   // its job is still queued, or running on a trainer replica
            } else {
                requeue(style.id, failure: "could not be resumed after a restart")
            }
        }
    }

    /// Queues the style's training job again (its checkpoint resumes it if it still fits), or marks
    /// the style failed with `failure` and why.
    private func requeue(_ id: Int, failure: String) {
        do { _ = try submit(id) } catch { markFailed(id, "\(failure): \(error)") }
    }

    /// Why new styles cannot be learned with this set-up, or nil.
    var unavailableReason: String? {
        guard config.role != .api else { return nil }   // the trainer replicas have the network and photos
        let vgg = config.modelsDirectory.appendingPathComponent("vgg16.safetensors")
        if !FileManager.default.fileExists(atPath: vgg.path) {
            return "the VGG16 loss network is not installed (\(vgg.lastPathComponent)); run `make weights`"
        }
        if ImageFolder.imageFiles(in: config.trainingPhotosDirectory).isEmpty {
            return "no training photos in \(config.trainingPhotosDirectory.path); run scripts/fetch_training_photos.sh or set ATELIER_TRAINING_PHOTOS"
        }
        return nil
    }

    /// Stores the style and queues its training job.
    func add(name requested: String?, image: RGBImage, settings: TrainingSettings) throws -> (StoredStyle, JobRecord) {
        if let reason = unavailableReason { throw APIError(status: 503, code: "training_unavailable", message: reason) }
        guard min(image.width, image.height) >= 64 else {
            throw APIError.unprocessable("the style image is \(image.width)×\(image.height); both sides need at least 64 pixels", code: "image_too_small")
        }
        let name = try Self.validName(requested)
        guard try store.count() < config.maxLearnedStyles else {
            throw APIError(status: 409, code: "style_limit",
                           message: "\(config.maxLearnedStyles) learned styles are stored already; DELETE /styles/{id} one first")
        }
        var style = try store.add(name: name ?? "", image: Self.storedImage(image), settings: settings)
        if name == nil { try store.update(style.id) { $0.name = "style-\(style.id)" } }
        do {
            let job = try submit(style.id)
            style = try store.style(style.id) ?? style
            return (style, job)
        } catch is JobManager.QueueFull {
            model.removeStyle(style.id)
            try? store.remove(style.id)
            throw APIError(status: 503, code: "job_queue_full",
                           message: "\(config.jobQueueCapacity) training jobs are waiting already; retry later", retryAfter: 60)
        }
    }

    private func submit(_ id: Int) throws -> JobRecord {
        guard let style = try store.style(id) else { throw ServiceError("style \(id) is not stored") }
        guard let settings = style.settings else { throw ServiceError("style \(id) has no training settings") }
        let job = try jobs.submit(kind: Self.jobKind, iterations: settings.iterations, styleID: id)
        try lock.withLock {
            try store.update(id) { $0.jobID = job.id; $0.status = .training; $0.error = nil }
            if let s = try store.style(id), s.status == .training { model.setStyle(s.info) }
        }
        return job
    }

    /// Removes a learned style, cancelling its training if it is still running.
    func delete(_ id: Int) throws {
        if model.builtinIDs.contains(id) {
            throw APIError(status: 403, code: "builtin_style", message: "style \(id) is built into the stylebank model and cannot be deleted")
        }
        guard let style = try store.style(id) else { throw APIError.notFound("style \(id) does not exist", code: "unknown_style") }
        if let job = style.jobID { _ = try jobs.cancel(job) }   // outside `lock`: a queued job's cancel calls `forget`
        try lock.withLock {
            model.removeStyle(id)
            try store.remove(id)
        }
    }

    /// Removes a style whose job was cancelled (by `DELETE /jobs/{id}` or `delete`).
    private func forget(_ id: Int) {
        lock.withLock {
            model.removeStyle(id)
            try? store.remove(id)
        }
    }

    /// Brings this replica's StyleBank in line with a shared store: styles learned, failed or
    /// deleted by other replicas. (In one process the store and the model change together.)
    func refresh() throws {
        let stored = try store.all().filter { $0.model == model.name }
        lock.withLock {
            for style in stored {
                let current = model.style(style.id)
                if style.status == .ready, current?.status != .ready || current?.name != style.name {
                    do {
                        let bank = try store.bank(style.id)
                        if bank.autoencoder == model.autoencoderFingerprint { try model.installBank(style.id, name: style.name, weights: bank.weights) }
                    } catch {
                        print("atelier: style \(style.id)'s bank could not be loaded from the shared store: \(error)")
                    }
                } else if style.status != .ready, current != style.info {
                    model.setStyle(style.info)
                }
            }
            let ids = Set(stored.map(\.id))
            for info in model.styles where !model.builtinIDs.contains(info.id) && !ids.contains(info.id) { model.removeStyle(info.id) }
        }
    }

    // MARK: - The training job

    private func runJob(_ id: Int, context: JobContext) throws {
        do {
            try learnStyle(id, context: context)
        } catch let error where StyleStores.isOutage(error) {
            // The shared store went away for longer than `storeOutageSeconds`: give the job back
            // (or let its lease lapse) instead of failing it; it resumes from its last checkpoint.
            print("atelier: giving style \(id)'s training back; the store is unreachable: \(error)")
            throw JobCancelled(reason: .shutdown)
        }
    }

    private func learnStyle(_ id: Int, context: JobContext) throws {
        guard let style = try store.style(id) else { throw JobCancelled(reason: .user) }   // deleted while queued
        // Learned already, for these weights: a trainer finished it but could not record the
        // job's end (the store was away), and the job was claimed again.
        if style.status == .ready, let bank = try? store.bank(id), bank.autoencoder == model.autoencoderFingerprint { return }
        let started = Date()
        do {
            let deadline = style.settings?.seconds.map { started.addingTimeInterval(Double($0)) }
            let result = try Parallel.reservingCores(config.trainingThreads) { try learnBank(style, context: context, deadline: deadline) }
            try retryingThroughOutages(context) {
                try lock.withLock {
                    guard try store.style(id) != nil else { throw JobCancelled(reason: .user) }   // deleted as it finished
                    try store.writeBank(id, weights: result.weights, autoencoder: model.autoencoderFingerprint)
                    try model.installBank(id, name: style.name, weights: store.bank(id).weights)   // serve exactly what a restart loads (F16)
                    try store.update(id) {
                        $0.status = .ready
                        $0.error = nil
                        $0.trainingSeconds = Date().timeIntervalSince(started)
                        $0.finalLoss = result.loss
                        $0.trainedIterations = result.iterations
                    }
                }
            }
            try? store.deleteFile(.checkpoint, of: id)
        } catch let cancelled as JobCancelled {
            if cancelled.reason == .user { forget(id) }
            throw cancelled   // on shutdown the style stays `training` and resumes at the next start
        } catch let error where StyleStores.isOutage(error) {
            throw error   // not the style's fault: `runJob` gives the job back
        } catch {
            markFailed(id, "\(error)")
            try? store.deleteFile(.checkpoint, of: id)
            throw error
        }
    }

    /// Runs `body`, and again every second while it fails because the store is unreachable,
    /// for up to `config.storeOutageSeconds` or until the job is cancelled (or its lease lost).
    private func retryingThroughOutages<T>(_ context: JobContext, _ body: () throws -> T) throws -> T {
        let giveUp = Date().addingTimeInterval(config.storeOutageSeconds)
        while true {
            do { return try body() } catch let error where StyleStores.isOutage(error) {
                try context.checkCancellation()
                guard Date() < giveUp else { throw error }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// The trainer's settings for a new style: the request's size and batch, and the loss weights
    /// the model's built-in banks were trained with, so a learned style trades content for style
    /// as the built-in ones do against the same decoder.
    static func trainingConfig(_ settings: TrainingSettings, lossWeights: LossWeights, seed: UInt64) -> StyleBankTrainingConfig {
        var tc = StyleBankTrainingConfig()
        tc.cropSize = settings.size
        tc.batchSize = settings.batch
        tc.lossWeights = lossWeights
        tc.seed = seed
        return tc
    }

    /// Trains the style's bank for its settings' steps, or until `deadline` once a step is done.
    private func learnBank(_ style: StoredStyle, context: JobContext, deadline: Date?) throws
        -> (weights: [String: Tensor], loss: Double?, iterations: Int) {
        guard let settings = style.settings else { throw ServiceError("style \(style.id) has no training settings") }
        let tc = Self.trainingConfig(settings, lossWeights: model.lossWeights, seed: UInt64(style.id))
        let styleImage = ImageTensor.tensor(from: Self.trainingImage(try store.image(style.id), styleSize: model.styleSize))
        let loss = try loadPerceptualLoss()
        let fresh = { StyleBankTrainer.newStyle(autoencoder: self.model.autoencoder, styleID: style.id, styleImage: styleImage, loss: loss, config: tc,
                                                initialBank: self.model.meanBank) }
        var trainer = fresh()
        if let saved = try? store.checkpoint(style.id),
           saved.metadata["autoencoder"] != model.autoencoderFingerprint
            || (try? trainer.restore(tensors: saved.tensors, metadata: saved.metadata)) == nil {
            trainer = fresh()   // an unusable checkpoint, or one for other auto-encoder weights: start over
        }
        let data = try trainingPhotos(cropSize: settings.size)

        func saveCheckpoint() throws {
            let c = trainer.checkpoint()
            try store.writeCheckpoint(style.id, (c.tensors.filter { !$0.key.hasPrefix("param.encoder.") && !$0.key.hasPrefix("param.decoder.") },
                                                 c.metadata.merging(["autoencoder": model.autoencoderFingerprint]) { $1 }))
        }
        var recent: [Float] = []   // the reported loss: a mean over the last steps (one step's is noisy)
        var lastCheckpoint = Date()
        var checkpointMissed = false
        let started = Date()
        while trainer.iteration < settings.iterations {
            if let deadline, trainer.iteration > 0, Date() >= deadline { break }   // the time budget is spent
            if let reason = context.cancelReason {
                if reason == .shutdown { try? saveCheckpoint() }   // resume exactly here at the next start
                throw JobCancelled(reason: reason)
            }
            guard Date().timeIntervalSince(started) < config.maxJobSeconds else {
                throw ServiceError("training stopped after the \(Int(config.maxJobSeconds)) s limit at iteration \(trainer.iteration)")
            }
            let losses = trainer.step(data).losses
            guard losses.total.isFinite else { throw ServiceError("training diverged at iteration \(trainer.iteration)") }
            recent = (recent + [losses.total]).suffix(20)
            context.report(iteration: trainer.iteration, loss: Double(recent.reduce(0, +) / Float(recent.count)), deadline: deadline)
            if Date().timeIntervalSince(lastCheckpoint) >= config.checkpointSeconds {
                do {
                    try saveCheckpoint()
                    lastCheckpoint = Date()
                    checkpointMissed = false
                } catch where StyleStores.isOutage(error) {
                    // Training goes on in memory; the checkpoint is tried again in a second.
                    if !checkpointMissed { print("atelier: style \(style.id)'s checkpoint was not saved, the store is unreachable (trying again each second): \(error)") }
                    checkpointMissed = true
                    lastCheckpoint = Date().addingTimeInterval(1 - config.checkpointSeconds)
                }
            }
        }
        let bank = trainer.parameters.filter { $0.key.hasPrefix("bank.\(style.id).") }
        return (bank, recent.isEmpty ? nil : Double(recent.reduce(0, +) / Float(recent.count)), trainer.iteration)
    }

    /// VGG16 for the perceptual losses, loaded at the first job and kept.
    private func loadPerceptualLoss() throws -> PerceptualLoss {
        try resources.withLock {
            if let loss = perceptualLoss { return loss }
            let weights = try SafeTensors.load(config.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors
            let loss = try PerceptualLoss(vggWeights: weights)
            perceptualLoss = loss
            return loss
        }
    }

    /// The content photos, decoded once at a size that covers `cropSize` crops, and kept: shorter
    /// side `photoSide` (as the built-in banks were trained, so a learned style sees objects at
    /// the same scale), more for crops too large for that.
    private func trainingPhotos(cropSize: Int) throws -> ImageFolder {
        try resources.withLock {
            let keepSide = max(Int((Double(cropSize) * 1.15).rounded(.up)), Self.photoSide)
            if let p = photos, p.keepSide >= keepSide { return p.folder }
            let folder = try ImageFolder(directory: config.trainingPhotosDirectory, keepSide: keepSide,
                                         limit: config.trainingPhotoLimit, maxPixels: config.maxInputPixels)
            photos = (keepSide, folder)
            return folder
        }
    }

    private func markFailed(_ id: Int, _ reason: String) {
        lock.withLock {
            try? store.update(id) { $0.status = .failed; $0.error = reason }
            if let s = try? store.style(id) { model.setStyle(s.info) }
        }
    }

    /// The style image as it is stored: shorter side at most `storedImageSide`, longer at most 4×.
    static func storedImage(_ image: RGBImage) -> RGBImage {
        let short = min(image.width, image.height)
        let fitted = short > storedImageSide ? ImageFolder.shorterSide(image, storedImageSide) : image
        return fitted.fitted(maxSide: 4 * storedImageSide)
    }

    /// The style image its Gram targets are taken from: scaled (up or down) to the bank's style
    /// size on its shorter side, as `atelier train` scales the built-in paintings, so a learned
    /// style's marks come out at the built-in ones' scale; the longer side at most 2× that
    /// (a panorama is shrunk further rather than run through VGG at 768 × 3000).
    static func trainingImage(_ image: RGBImage, styleSize: Int) -> RGBImage {
        ImageFolder.shorterSide(image, styleSize).fitted(maxSide: 2 * styleSize)
    }

    static func validName(_ raw: String?) throws -> String? {
        guard let name = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else { return nil }
        guard name.count <= maxNameLength, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.badRequest("name must be at most \(maxNameLength) printable characters")
        }
        return name
    }
}
