/// How PNGs are compressed: the zlib level and the row filters libpng may choose from.
public struct PNGOptions: Sendable, Equatable {
    public struct Filters: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let none = Filters(rawValue: 0x08), sub = Filters(rawValue: 0x10), up = Filters(rawValue: 0x20)
        public static let average = Filters(rawValue: 0x40), paeth = Filters(rawValue: 0x80)
        public static let all: Filters = [.none, .sub, .up, .average, .paeth]
    }

    /// zlib level 0…9 (-1: libpng's default, 6).
    public var level: Int32
    public var filters: Filters

    public init(level: Int32, filters: Filters) { (self.level, self.filters) = (level, filters) }

    /// libpng's own defaults: level 6, every filter tried on every row.
    public static let libpngDefault = PNGOptions(level: -1, filters: .all)
    /// What the service writes: zlib level 1 with the Paeth filter on every row. Chosen by
    /// `atelier bench --png-photo` on a stylized 512² photo (docs/performance.md): libpng's
    /// default took 64 ms for 467 KB, level 1 + Paeth 19 ms for 517 KB (+11%); other filters at
    /// level 1 were no faster and larger (up 547 KB, none 652 KB), and trying all five per row
    /// cost 4.6 ms for 0.2 KB.
    public static let `default` = PNGOptions(level: 1, filters: .paeth)
}
