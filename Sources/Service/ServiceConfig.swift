import Foundation

/// Everything the service can be tuned with; `atelier serve` fills it from flags and environment.
public struct ServiceConfig: Sendable {
    /// Service state (stored styles, jobs). Created if missing.
    public var dataDirectory: URL
    /// Where stored styles are kept: nil for `<data>/styles` (one process), or a
    /// `postgres://` URL of a database several replicas share (`ATELIER_STORE`).
    public var storeURL: String?
    /// What this replica does with a shared store: `.all` serves and trains (the only role
    /// without one), `.api` serves and queues jobs, `.trainer` runs jobs (`atelier serve --role`).
    public var role: ServiceRole = .all
    /// A trainer renews its hold on a job this often over; a job whose trainer stopped renewing
    /// (killed) is taken over by another trainer after this long.
    public var jobLeaseSeconds: Double = 30
    /// How often a serving replica re-reads a shared store for other replicas' styles.
    public var storeRefreshSeconds: Double = 2
    /// At start, how long to keep trying while the shared store's server does not answer yet
    /// (replicas and the database start in any order); then the start fails.
    public var storeStartupWaitSeconds: Double = 60
    /// A training job whose results cannot be stored because the shared store is unreachable
    /// keeps them this long, trying again each second, before it gives the job back.
    public var storeOutageSeconds: Double = 120
    /// `/readyz` checks that the store is reachable at most this often; between checks it
    /// answers what the last one found.
    public var readinessCheckSeconds: Double = 1
    /// Whether an admin listener (`serve --admin-port`) serves `/metrics`: then the public port
    /// answers it 404, and only the admin port (127.0.0.1 by default) shows it.
    public var metricsOnAdminListener = false
    /// Converted weights (`make weights`); defaults to `<data>/models`.
    public var modelsDirectory: URL
    /// Requests stylized at the same time. One alone uses every core; several split them
    /// (`Parallel.sharingCores`), and decoding and encoding overlap with inference.
    public var workers: Int = 2
    /// Requests that may wait for a worker; beyond it the service answers 503 + Retry-After.
    public var queueCapacity: Int = 16
    /// Largest decoded image accepted (width × height), checked from the header before decoding.
    public var maxInputPixels: Int = 40_000_000
    /// Longest side a result is computed at when the request names no `max_size`.
    public var defaultMaxSide: Int = 1024
    /// Upper bound for `max_size`.
    public var maxSideLimit: Int = 4096
    /// Smallest side accepted after resizing (the networks downsample ×4 with reflect padding).
    public var minSide: Int = 16
    /// Model used when a request names none: the StyleBank we train and ship (README: "Which
    /// model is the default, and why"); a models folder without it falls back to the first model.
    public var defaultModel: String = "stylebank"
    /// Model a request with a painting (`style_image`) and no `model` goes to. Magenta's pretrained
    /// network until our AdaIN decoder, still in training (docs/training.md), scores as well on
    /// `atelier eval-arbitrary`; `ATELIER_DEFAULT_ARBITRARY_MODEL=adain` picks ours.
    public var defaultArbitraryModel: String = "magenta"
    /// Requests one client address may have in flight (past it: 429 + Retry-After), so one
    /// script cannot hold every worker and queue slot.
    public var maxRequestsPerClient = 8
    /// Training jobs one client address may have queued or running.
    public var maxJobsPerClient = 2
    /// Tokens for writes and, optionally, reads (`AccessPolicy`); none: everything open.
    public var access = AccessPolicy()


    // Learning new styles (`POST /styles`)

    /// Content photos new styles are trained on (any folder tree of PNG/JPEG; `make run` fills
    /// the default `<data>/training-photos` with Debian's wallpapers). Defaults to `<data>/training-photos`.
    public var trainingPhotosDirectory: URL
    /// At most this many photos are loaded (decoded once, kept at training size).
    public var trainingPhotoLimit = 300
    /// Training jobs run at the same time; more wait in a queue of `jobQueueCapacity` (full → 503).
    public var concurrentJobs = 1
    public var jobQueueCapacity = 8
    /// Cores one training job may use, so stylization keeps serving on the rest.
    public var trainingThreads = 1
    /// A training job that runs longer fails.
    public var maxJobSeconds: Double = 3600
    /// Learned styles kept at once (including failed ones not yet deleted).
    public var maxLearnedStyles = 100
    /// Seconds between checkpoints of a training job (a restart resumes from the last one).
    public var checkpointSeconds: Double = 20

    public init(dataDirectory: URL, modelsDirectory: URL? = nil) {
        self.dataDirectory = dataDirectory
        self.modelsDirectory = modelsDirectory ?? dataDirectory.appendingPathComponent("models")
        trainingPhotosDirectory = dataDirectory.appendingPathComponent("training-photos")
    }
}

/// What one `atelier serve` process does (`--role`); api and trainer need a shared store.
public enum ServiceRole: String, Sendable, CaseIterable {
    case all, api, trainer
}
