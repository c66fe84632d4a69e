extension WebPage {
    /// One column on a phone, photo and style beside the result from 900 px up. Focus is always
    /// visible; touch targets are at least 44 px high.
    static let styleSheet = #"""
    :root {
      --ink: #1f1d1a; --muted: #5f5a52; --paper: #faf7f2; --card: #fff; --line: #d9d2c5;
      --accent: #8a3b12; --accent-ink: #fff; --focus: #1a56db; --bad: #a4161a; --bad-bg: #fdecea;
      color-scheme: light;
      font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: var(--ink); background: var(--paper);
    }
    * { box-sizing: border-box; }
    body { margin: 0; }
    .top, main, .bottom { max-width: 1200px; margin: 0 auto; padding: 0 16px; }
    .top { padding-top: 16px; }
    .top h1 { margin: 0; font-size: 1.8rem; letter-spacing: .02em; }
    .top p { margin: 0 0 8px; color: var(--muted); }
    h2 { font-size: 1.15rem; margin: 0 0 8px; }
    main, .workspace { display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr); }
    @media (min-width: 900px) {
      .workspace { grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); align-items: start; }
      #result-panel { position: sticky; top: 16px; }
      .settings { display: grid; gap: 0 16px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
      .settings .check { grid-column: 1 / -1; }
    }
    .panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; }
    .panel > section + section { margin-top: 20px; }
    .hint { color: var(--muted); font-size: .9em; font-weight: normal; }
    .notice { max-width: 1200px; margin: 8px auto; padding: 8px 16px; background: var(--bad-bg); }

    .drop { border: 2px dashed var(--line); border-radius: 10px; padding: 16px; display: grid; gap: 8px; grid-template-columns: minmax(0, 1fr); }
    .drop.over { border-color: var(--accent); background: #fbefe7; }

    .field { display: grid; gap: 4px; margin: 0 0 12px; grid-template-columns: minmax(0, 1fr); }
    .field.check { display: flex; align-items: center; gap: 8px; }
    .field.check input { width: 22px; height: 22px; margin: 0; }
    label { font-weight: 600; }
    input[type=file] { width: 100%; font: inherit; min-height: 44px; }
    input[type=text], input[type=password], select {
      font: inherit; min-height: 44px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; width: 100%;
    }
    input[type=range] { width: 100%; min-height: 44px; accent-color: var(--accent); }
    output { font-weight: normal; color: var(--muted); margin-left: 6px; }

    button, .button {
      font: inherit; font-weight: 600; min-height: 44px; padding: 8px 18px; border-radius: 6px; cursor: pointer;
      border: 1px solid var(--accent); background: #fff; color: var(--accent); text-decoration: none; display: inline-flex; align-items: center;
    }
    button.primary { background: var(--accent); color: var(--accent-ink); }
    button:disabled { opacity: .55; cursor: progress; }
    :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }

    .style-groups fieldset { border: 0; padding: 0; margin: 0 0 12px; min-width: 0; }
    .style-groups legend, .style-groups summary { font-weight: 600; padding: 0; margin-bottom: 6px; }
    .style-groups summary { cursor: pointer; min-height: 32px; }
    .style-groups details { margin: 0 0 12px; }
    .style-grid { display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(84px, 1fr)); }
    .style { position: relative; display: grid; gap: 2px; padding: 4px; border: 2px solid transparent; border-radius: 8px; cursor: pointer; font-weight: normal; }
    .style input { position: absolute; opacity: 0; width: 1px; height: 1px; }
    .style img, .style .swatch { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 5px; background: #e9e4da; display: block; }
    .style span { font-size: .8rem; line-height: 1.2; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .style:hover { border-color: var(--line); }
    .style:has(input:checked) { border-color: var(--accent); background: #fbefe7; }
    .style:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: 1px; }
    .style:has(input:disabled) { opacity: .5; cursor: not-allowed; }

    .pair { display: grid; gap: 12px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
    @media (max-width: 520px) { .pair { grid-template-columns: minmax(0, 1fr); } }
    figure { margin: 0; }
    .frame { min-height: 160px; display: grid; place-items: center; background: #efe9df; border-radius: 8px; overflow: hidden; }
    .frame img { width: 100%; height: auto; display: block; }
    .frame[aria-busy=true] { opacity: .6; }
    .placeholder { color: var(--muted); padding: 16px; text-align: center; font-size: .9rem; }
    figcaption { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin-top: 6px; font-weight: 600; flex-wrap: wrap; }
    figcaption span { font-weight: normal; color: var(--muted); overflow-wrap: anywhere; }
    .status { color: var(--muted); min-height: 1.5em; margin: 8px 0 0; }

    .error { border: 1px solid var(--bad); background: var(--bad-bg); color: var(--bad); border-radius: 6px; padding: 8px 12px; margin: 0 0 12px; }
    .learn { display: grid; gap: 0 16px; grid-template-columns: minmax(0, 1fr); }
    @media (min-width: 700px) { .learn { grid-template-columns: repeat(2, minmax(0, 1fr)); } .learn .error, .learn button { grid-column: 1 / -1; justify-self: start; } }
    .job { margin-top: 16px; display: grid; gap: 8px; }
    .progress-row { display: flex; align-items: center; gap: 12px; }
    progress { flex: 1; height: 22px; accent-color: var(--accent); }
    .job button { justify-self: start; }
    .bottom { color: var(--muted); font-size: .9rem; padding-bottom: 24px; }
    code { font-size: .9em; }
    [hidden] { display: none !important; }
    """#
}
