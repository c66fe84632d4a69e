import HTTP

/// `GET /`: one page for people. Pick or drop a photo, choose a style, see the result beside the
/// original and download it; learn a style from a painting and follow its training. Plain HTML,
/// CSS and JavaScript kept in the binary (no build step, no file to install), talking to the
/// same JSON API as any other client: the page adds no route but this one.
enum WebPage {
    /// The whole page: the markup with its style sheet and script inlined.
    static let html = markup
        .replacingOccurrences(of: "/*STYLE*/", with: styleSheet)
        .replacingOccurrences(of: "/*SCRIPT*/", with: script)

    private static let body = Array(html.utf8)

    static var response: HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Cache-Control", value: "no-cache")
        headers.set(name: "X-Content-Type-Options", value: "nosniff")
        headers.set(name: "Referrer-Policy", value: "no-referrer")
        // Inline style and script are the page's own; everything it loads or calls is this origin
        // (blob: for the photo, the result and thumbnails fetched with a token).
        headers.set(name: "Content-Security-Policy",
                    value: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob:; "
                        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        return .bytes(contentType: "text/html; charset=utf-8", body: body, headers: headers)
    }
}
