extension WebPage {
    /// The page's structure. Every control is a native input, select or button with a label, so
    /// it works with the keyboard alone and with screen readers; errors go to `role="alert"` boxes.
    static let markup = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Atelier: paint a photo in the style of a painting</title>
    <style>/*STYLE*/</style>
    </head>
    <body>
    <header class="top">
      <h1>Atelier</h1>
      <p>Paint a photo in the style of a painting.</p>
    </header>
    <noscript><p class="notice">This page needs JavaScript. The HTTP API works without it: see the README.</p></noscript>
    <main>
      <form id="stylize-form" class="workspace" novalidate>
        <div class="panel">
          <section aria-labelledby="photo-heading">
            <h2 id="photo-heading">1. Photo</h2>
            <div id="drop" class="drop">
              <label for="photo">Drop a photo here, or choose one <span class="hint">(PNG or JPEG)</span></label>
              <input id="photo" name="photo" type="file" accept="image/png,image/jpeg">
            </div>
          </section>

          <section aria-labelledby="style-heading">
            <h2 id="style-heading">2. Style</h2>
            <div id="styles-error" class="error" role="alert" hidden></div>
            <div id="styles" class="style-groups" aria-busy="true"><p class="hint">Loading the styles…</p></div>
          </section>
        </div>

        <div id="result-panel" class="panel">
          <section aria-labelledby="settings-heading">
            <h2 id="settings-heading">3. Settings</h2>
            <div class="settings">
              <div class="field">
                <label for="strength">Strength <output id="strength-value" for="strength">100%</output></label>
                <input id="strength" type="range" min="0" max="1" step="0.05" value="1">
              </div>
              <div class="field">
                <label for="max-size">Size (longer side)</label>
                <select id="max-size">
                  <option value="512">512 px (fastest)</option>
                  <option value="1024" selected>1024 px</option>
                  <option value="2048">2048 px (slowest)</option>
                </select>
              </div>
              <div class="field check">
                <input id="preserve-color" type="checkbox">
                <label for="preserve-color">Keep the photo's colours</label>
              </div>
            </div>
            <div id="stylize-error" class="error" role="alert" hidden></div>
            <button id="stylize" type="submit" class="primary">Stylize</button>
          </section>

          <section aria-labelledby="result-heading">
            <h2 id="result-heading">Result</h2>
            <div class="pair">
              <figure>
                <div class="frame"><img id="original" alt="The photo you chose" hidden><span class="placeholder" id="original-placeholder">No photo yet</span></div>
                <figcaption>Original <span id="photo-name"></span></figcaption>
              </figure>
              <figure>
                <div class="frame" id="result-frame"><img id="result" alt="The photo in the chosen style" hidden><span class="placeholder" id="result-placeholder">The stylized photo appears here</span></div>
                <figcaption>Stylized <a id="download" class="button" hidden>Download</a></figcaption>
              </figure>
            </div>
            <p id="stylize-status" class="status" aria-live="polite"></p>
          </section>
        </div>
      </form>

      <section id="learn-panel" class="panel" aria-labelledby="learn-heading">
        <h2 id="learn-heading">Learn a style from a painting</h2>
        <form id="learn-form" class="learn" novalidate>
          <div class="field">
            <label for="painting">Painting <span class="hint">(PNG or JPEG)</span></label>
            <input id="painting" type="file" accept="image/png,image/jpeg">
          </div>
          <div class="field">
            <label for="style-name">Name</label>
            <input id="style-name" type="text" maxlength="64" autocomplete="off" placeholder="e.g. my-monet">
          </div>
          <div class="field">
            <label for="learn-model">How</label>
            <select id="learn-model"><option value="stylebank">Train a StyleBank style (minutes)</option></select>
          </div>
          <div class="field" id="preset-field">
            <label for="preset">Training preset</label>
            <select id="preset">\#(presetOptions)</select>
          </div>
          <div class="field">
            <label for="token">API token <span class="hint">(only if the service asks for one)</span></label>
            <input id="token" type="password" autocomplete="off" spellcheck="false">
          </div>
          <div id="learn-error" class="error" role="alert" hidden></div>
          <button id="learn" type="submit" class="primary">Learn this style</button>
        </form>
        <div id="job" class="job" hidden>
          <label for="progress" id="job-label">Learning</label>
          <div class="progress-row">
            <progress id="progress" max="100" value="0"></progress>
            <span id="progress-text" aria-live="polite">0%</span>
          </div>
          <button id="cancel-job" type="button" hidden>Cancel training</button>
        </div>
      </section>
    </main>
    <footer class="bottom">
      <p>Everything here is the service's HTTP API: <code>GET /styles</code>, <code>POST /stylize</code>,
      <code>POST /styles</code>, <code>GET /jobs/{id}</code>.</p>
    </footer>
    <script>/*SCRIPT*/</script>
    </body>
    </html>
    """#
}

extension WebPage {
    /// The presets as `<option>`s, from `TrainingSettings` itself, so the page says what they do.
    static var presetOptions: String {
        TrainingSettings.Preset.allCases.map { preset in
            let settings = TrainingSettings.preset(preset)
            let length = settings.seconds.map { "≤ " + duration($0) } ?? "no time limit"
            let selected = preset == .standard ? " selected" : ""
            return "<option value=\"\(preset.rawValue)\"\(selected)>\(preset.rawValue): \(settings.iterations) steps, \(length)</option>"
        }.joined()
    }

    private static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds) s" }
        return seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds / 60) min \(seconds % 60) s"
    }
}
