/// The EXIF orientation tag (0x0112): how stored pixels must be transformed to show upright.
/// Cases 5–8 transpose the image, so width and height swap.
enum ExifOrientation: Int, CaseIterable {
    case identity = 1
    case flipHorizontal = 2
    case rotate180 = 3
    case flipVertical = 4
    case transpose = 5  // mirror along the top-left to bottom-right diagonal
    case rotate90Clockwise = 6
    case transverse = 7  // mirror along the top-right to bottom-left diagonal
    case rotate90CounterClockwise = 8

    var swapsDimensions: Bool { rawValue >= 5 }

    /// Returns the upright image.
    func apply(to image: RGBImage) -> RGBImage {
        if self == .identity { return image }
        let (width, height) = (image.width, image.height)
        // Output pixel (x, y) reads source pixel index `origin + x * stepX + y * stepY`.
        let last = (row: (height - 1) * width, column: width - 1)
        let (origin, stepX, stepY): (Int, Int, Int)
        switch self {
        case .identity: (origin, stepX, stepY) = (0, 1, width)
        case .flipHorizontal: (origin, stepX, stepY) = (last.column, -1, width)
        case .rotate180: (origin, stepX, stepY) = (last.row + last.column, -1, -width)
        case .flipVertical: (origin, stepX, stepY) = (last.row, 1, -width)
        case .transpose: (origin, stepX, stepY) = (0, width, 1)
        case .rotate90Clockwise: (origin, stepX, stepY) = (last.row, -width, 1)
        case .transverse: (origin, stepX, stepY) = (last.row + last.column, -width, -1)
        case .rotate90CounterClockwise: (origin, stepX, stepY) = (last.column, width, -1)
        }
        let (outputWidth, outputHeight) = swapsDimensions ? (height, width) : (width, height)
        var output = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                var target = 0
                for y in 0..<outputHeight {
                    var sourcePixel = origin + y * stepY
                    for _ in 0..<outputWidth {
                        let from = sourcePixel * 3
                        destination[target] = source[from]
                        destination[target + 1] = source[from + 1]
                        destination[target + 2] = source[from + 2]
                        target += 3
                        sourcePixel += stepX
                    }
                }
            }
        }
        return RGBImage(width: outputWidth, height: outputHeight, pixels: output)
    }

    /// Finds the orientation in a JPEG's APP1 "Exif" segment; nil when absent or unreadable.
    static func inJPEG(_ bytes: [UInt8]) -> ExifOrientation? {
        guard bytes.starts(with: [0xFF, 0xD8]) else { return nil }
        var position = 2
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return nil }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }  // fill byte before a marker
            if marker == 0xDA || marker == 0xD9 { return nil }  // image data starts: no EXIF
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { position += 2; continue }  // no length
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            let end = position + 2 + length
            guard length >= 2, end <= bytes.count else { return nil }
            let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
            let payload = bytes[(position + 4)..<end]
            if marker == 0xE1, payload.starts(with: exifHeader) {
                return inTIFF(Array(payload.dropFirst(exifHeader.count)))
            }
            position = end
        }
        return nil
    }

    /// Finds the orientation in a PNG's eXIf chunk (before the image data); nil when absent.
    static func inPNG(_ bytes: [UInt8]) -> ExifOrientation? {
        var position = 8  // after the signature
        // Each chunk: 4-byte big-endian length, 4-byte type, data, 4-byte CRC.
        while position + 8 <= bytes.count {
            let length = bytes[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[position + 4..<position + 8], as: UTF8.self)
            let dataStart = position + 8
            guard length <= bytes.count - dataStart, type != "IDAT" else { return nil }
            if type == "eXIf" { return inTIFF(Array(bytes[dataStart..<dataStart + length])) }
            position = dataStart + length + 4
        }
        return nil
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF structure (the body of an EXIF block).
    static func inTIFF(_ tiff: [UInt8]) -> ExifOrientation? {
        let reader: TIFFReader
        switch tiff.prefix(2) {
        case [0x49, 0x49]: reader = TIFFReader(bytes: tiff, bigEndian: false)  // "II"
        case [0x4D, 0x4D]: reader = TIFFReader(bytes: tiff, bigEndian: true)  // "MM"
        default: return nil
        }
        guard reader.uint16(at: 2) == 42, let directory = reader.uint32(at: 4),
            let entryCount = reader.uint16(at: directory)
        else { return nil }
        for entry in 0..<entryCount {
            let entryStart = directory + 2 + entry * 12
            guard let tag = reader.uint16(at: entryStart) else { return nil }
            // Type 3 is SHORT; its single value sits left-aligned in the 4-byte value field.
            if tag == 0x0112, reader.uint16(at: entryStart + 2) == 3,
                let value = reader.uint16(at: entryStart + 8)
            {
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }
}

/// Bounds-checked integer reads from TIFF data in either byte order.
struct TIFFReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    func uint16(at offset: Int) -> Int? { read(offset, count: 2) }
    func uint32(at offset: Int) -> Int? { read(offset, count: 4) }

    private func read(_ offset: Int, count: Int) -> Int? {
        guard offset >= 0, offset <= bytes.count - count else { return nil }
        let field = bytes[offset..<offset + count]
        let ordered = bigEndian ? Array(field) : field.reversed()
        return ordered.reduce(0) { $0 << 8 | Int($1) }
    }
}
