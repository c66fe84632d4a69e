extension WebPage {
    /// The page's behaviour: calls the JSON API with `fetch` and shows its error messages as they
    /// come. The token field, when filled, goes with every call (writes need the API token; a
    /// read token, when the service has one, guards the rest).
    static let script = #"""
    "use strict";
    const $ = (id) => document.getElementById(id);
    const state = { photo: null, photoURL: null, resultURL: null, jobID: null, styles: [] };

    // --- calling the API -------------------------------------------------------------------
    function authHeaders() {
      const token = $("token").value.trim();
      return token ? { Authorization: "Bearer " + token } : {};
    }

    async function api(path, options = {}) {
      let response;
      try {
        response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
      } catch (e) {
        throw new Error("The service could not be reached: " + e.message);
      }
      if (!response.ok) throw await apiError(response);
      return response;
    }

    // The API answers errors as {"error": {"code", "message"}}; anything else gets its status line.
    async function apiError(response) {
      let message = "The service answered " + response.status + " " + response.statusText + ".";
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) message = body.error.message;
      } catch (_) { /* not JSON: keep the status line */ }
      const error = new Error(message);
      error.status = response.status;
      return error;
    }

    function showError(boxID, error) {
      const box = $(boxID);
      box.textContent = error.message + (error.status === 401 ? " Enter it in the \u201cAPI token\u201d field." : "");
      box.hidden = false;
    }
    function clearError(boxID) { $(boxID).hidden = true; $(boxID).textContent = ""; }
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    // --- the photo -------------------------------------------------------------------------
    function usePhoto(file) {
      if (!file) return;
      clearError("stylize-error");
      state.photo = file;
      if (state.photoURL) URL.revokeObjectURL(state.photoURL);
      state.photoURL = URL.createObjectURL(file);
      $("original").src = state.photoURL;
      $("original").hidden = false;
      $("original-placeholder").hidden = true;
      $("photo-name").textContent = file.name;
      clearResult();
    }

    function clearResult() {
      if (state.resultURL) URL.revokeObjectURL(state.resultURL);
      state.resultURL = null;
      $("result").hidden = true;
      $("result").removeAttribute("src");
      $("result-placeholder").hidden = false;
      $("download").hidden = true;
      $("stylize-status").textContent = "";
    }

    $("photo").addEventListener("change", () => usePhoto($("photo").files[0]));
    const drop = $("drop");
    for (const name of ["dragenter", "dragover"]) {
      drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
    }
    for (const name of ["dragleave", "drop"]) {
      drop.addEventListener(name, () => drop.classList.remove("over"));
    }
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      if (e.dataTransfer.files.length) usePhoto(e.dataTransfer.files[0]);
    });
    // A file dropped beside the zone would make the browser leave the page to show it.
    for (const name of ["dragover", "drop"]) window.addEventListener(name, (e) => e.preventDefault());

    // --- the styles ------------------------------------------------------------------------
    const modelTitles = {
      stylebank: "StyleBank",
      multistyle26: "Multistyle",
      adain: "Your paintings (AdaIN)",
      magenta: "Your paintings (Magenta)",
    };

    // Built-in styles have no name beyond their model and number ("multistyle26-4").
    function displayName(style) {
      const prefix = style.model + "-";
      return style.name.startsWith(prefix) ? "No. " + style.name.slice(prefix.length) : style.name;
    }

    // Thumbnails load as plain images, or through fetch when a token must go with them.
    async function loadThumbnail(img, url) {
      if (!$("token").value.trim()) { img.src = url; return; }
      try {
        const blob = await (await api(url)).blob();
        const objectURL = URL.createObjectURL(blob);
        img.addEventListener("load", () => URL.revokeObjectURL(objectURL), { once: true });
        img.src = objectURL;
      } catch (_) { img.classList.add("swatch"); }
    }

    async function loadStyles(select) {
      const checked = document.querySelector('input[name="style"]:checked');
      const keep = select || (checked && checked.value);
      const container = $("styles");
      container.setAttribute("aria-busy", "true");
      clearError("styles-error");
      let styles, models;
      try {
        [styles, models] = await Promise.all([
          api("/styles").then((r) => r.json()).then((b) => b.styles),
          api("/models").then((r) => r.json()).then((b) => b.models),
        ]);
      } catch (error) {
        showError("styles-error", error);
        container.textContent = "";
        container.removeAttribute("aria-busy");
        return;
      }
      state.styles = styles;
      models.sort((a, b) => (b.default - a.default) || a.name.localeCompare(b.name));
      container.textContent = "";
      for (const model of models) {
        const own = styles.filter((s) => s.model === model.name);
        if (!own.length) continue;
        const title = (modelTitles[model.name] || model.name) + (model.default ? " \u00b7 default" : "");
        const grid = document.createElement("div");
        grid.className = "style-grid";
        for (const style of own) grid.append(styleOption(style));
        const fieldset = document.createElement("fieldset");
        // The default model's styles are open; the others fold away unless the chosen style is there.
        if (model.default || own.some((s) => s.model + ":" + s.id === keep)) {
          const legend = document.createElement("legend");
          legend.textContent = title;
          fieldset.append(legend, grid);
          container.append(fieldset);
        } else {
          const details = document.createElement("details");
          const summary = document.createElement("summary");
          summary.textContent = title + " (" + own.length + " styles)";
          fieldset.setAttribute("aria-label", title);
          fieldset.append(grid);
          details.append(summary, fieldset);
          container.append(details);
        }
      }
      const target = (keep && container.querySelector(`input[value="${keep}"]:not(:disabled)`)) || container.querySelector("input:not(:disabled)");
      if (target) target.checked = true;
      container.removeAttribute("aria-busy");
      fillLearnModels(models);
    }

    function styleOption(style) {
      const label = document.createElement("label");
      label.className = "style";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "style";
      input.value = style.model + ":" + style.id;
      input.disabled = style.status !== "ready";
      const img = document.createElement("img");
      img.alt = "";
      img.width = 84;
      img.height = 84;
      img.loading = "lazy";
      img.addEventListener("error", () => img.classList.add("swatch"));
      loadThumbnail(img, "/styles/" + style.id + "/image?model=" + encodeURIComponent(style.model));
      const name = document.createElement("span");
      name.textContent = displayName(style) + (style.status === "training" ? " (learning\u2026)" : style.status === "failed" ? " (failed)" : "");
      name.title = name.textContent;
      label.append(input, img, name);
      return label;
    }

    // --- stylizing -------------------------------------------------------------------------
    $("strength").addEventListener("input", () => {
      $("strength-value").textContent = Math.round($("strength").value * 100) + "%";
    });

    $("stylize-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearError("stylize-error");
      if (!state.photo) {
        showError("stylize-error", new Error("Choose a photo first."));
        $("photo").focus();
        return;
      }
      const choice = document.querySelector('input[name="style"]:checked');
      if (!choice) {
        showError("stylize-error", new Error("Choose a style first."));
        return;
      }
      const [model, id] = choice.value.split(":");
      const form = new FormData();
      form.append("image", state.photo, state.photo.name);
      form.append("model", model);
      form.append("style", id);
      form.append("strength", $("strength").value);
      form.append("max_size", $("max-size").value);
      if ($("preserve-color").checked) form.append("preserve_color", "true");

      const button = $("stylize");
      button.disabled = true;
      $("result-frame").setAttribute("aria-busy", "true");
      $("stylize-status").textContent = "Painting\u2026";
      try {
        const started = performance.now();
        const response = await api("/stylize", { method: "POST", body: form });
        const blob = await response.blob();
        clearResult();
        state.resultURL = URL.createObjectURL(blob);
        $("result").src = state.resultURL;
        $("result").hidden = false;
        $("result-placeholder").hidden = true;
        const style = state.styles.find((s) => s.model === model && String(s.id) === id);
        const extension = blob.type === "image/png" ? "png" : "jpg";
        const base = state.photo.name.replace(/\.[^.]*$/, "") || "photo";
        const link = $("download");
        link.href = state.resultURL;
        link.download = base + "-" + (style ? displayName(style) : "style-" + id).replace(/[^\w.-]+/g, "_") + "." + extension;
        link.hidden = false;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        $("stylize-status").textContent = "Done in " + seconds + " s: " + (response.headers.get("X-Image-Size") || "") +
          " in " + (style ? displayName(style) : "style " + id) + ".";
      } catch (error) {
        showError("stylize-error", error);
        $("stylize-status").textContent = "";
      } finally {
        button.disabled = false;
        $("result-frame").removeAttribute("aria-busy");
      }
    });

    // --- learning a style ------------------------------------------------------------------
    const learnTitles = {
      stylebank: "Train a StyleBank style (minutes)",
      adain: "AdaIN: ready at once",
      magenta: "Magenta: ready at once",
    };

    function fillLearnModels(models) {
      const select = $("learn-model");
      const current = select.value;
      select.textContent = "";
      for (const model of models) {
        if (!learnTitles[model.name]) continue;
        const option = document.createElement("option");
        option.value = model.name;
        option.textContent = learnTitles[model.name];
        select.append(option);
      }
      if ([...select.options].some((o) => o.value === current)) select.value = current;
      updatePresetField();
    }

    function updatePresetField() { $("preset-field").hidden = $("learn-model").value !== "stylebank"; }
    $("learn-model").addEventListener("change", updatePresetField);
    $("token").addEventListener("change", () => loadStyles());

    function setProgress(fraction, text) {
      const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
      $("progress").value = percent;
      $("progress-text").textContent = percent + "%" + (text ? " \u00b7 " + text : "");
    }

    function describeJob(job) {
      if (job.status === "queued") return "waiting for another training job to finish";
      if (job.status !== "running") return job.status;
      let text = "step " + job.iteration + " of " + job.iterations;
      if (job.eta_seconds != null) {
        const eta = Math.round(job.eta_seconds);
        text += ", about " + (eta >= 90 ? Math.round(eta / 60) + " min" : eta + " s") + " left";
      }
      return text;
    }

    $("learn-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearError("learn-error");
      const painting = $("painting").files[0];
      if (!painting) {
        showError("learn-error", new Error("Choose a painting first."));
        $("painting").focus();
        return;
      }
      const model = $("learn-model").value;
      const form = new FormData();
      form.append("image", painting, painting.name);
      form.append("model", model);
      const name = $("style-name").value.trim();
      if (name) form.append("name", name);
      if (model === "stylebank") form.append("preset", $("preset").value);

      const button = $("learn");
      button.disabled = true;
      try {
        const body = await (await api("/styles", { method: "POST", body: form })).json();
        $("job").hidden = false;
        $("job-label").textContent = "Learning \u201c" + body.style.name + "\u201d";
        if (body.job) {
          await followJob(body.job.id, body.style);
        } else {
          setProgress(1, "ready");
          await loadStyles(body.style.model + ":" + body.style.id);
        }
      } catch (error) {
        showError("learn-error", error);
      } finally {
        button.disabled = false;
      }
    });

    // Polls GET /jobs/{id} until the job ends; on success the new style is listed and selected.
    async function followJob(jobID, style) {
      state.jobID = jobID;
      $("cancel-job").hidden = false;
      setProgress(0, "queued");
      await loadStyles();
      try {
        while (true) {
          const job = await (await api("/jobs/" + encodeURIComponent(jobID))).json();
          setProgress(job.progress, describeJob(job));
          if (job.status === "succeeded") {
            setProgress(1, "done: \u201c" + style.name + "\u201d is selected above");
            await loadStyles(style.model + ":" + style.id);
            return;
          }
          if (job.status === "failed" || job.status === "cancelled") {
            if (job.status === "failed") throw new Error("Training failed: " + (job.error || "no reason given"));
            setProgress(job.progress, "cancelled");
            await loadStyles();
            return;
          }
          await sleep(1000);
        }
      } finally {
        state.jobID = null;
        $("cancel-job").hidden = true;
      }
    }

    $("cancel-job").addEventListener("click", async () => {
      if (!state.jobID) return;
      clearError("learn-error");
      try {
        await api("/jobs/" + encodeURIComponent(state.jobID), { method: "DELETE" });
      } catch (error) {
        showError("learn-error", error);
      }
    });

    loadStyles();
    """#
}
