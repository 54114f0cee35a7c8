// Live reload for `cairn serve`: only served pages carry this script, never
// a build's output. It listens to the server's events; when the page on
// screen (or a stylesheet or image) changed, it reloads; when the latest
// build failed, it shows the errors over the page, which stays the last
// good version, until a fix clears them.
(() => {
  "use strict";
  const me = document.currentScript;
  const served = Number(me && me.dataset.generation);
  let path = decodeURIComponent(location.pathname).replace(/^\/+/, "");
  if (path === "" || path.endsWith("/")) path += "index.html";
  const assets = /\.(css|js|png|jpe?g|gif|svg|webp|avif|ico|woff2?)$/i;
  let overlay = null;

  function showErrors(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "cairn-errors";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText =
        "position:fixed;inset:0 0 auto 0;max-height:80vh;overflow:auto;z-index:2147483647;" +
        "margin:0;padding:1rem 1.25rem;background:#1e1e1e;color:#f3f3f3;" +
        "border-bottom:4px solid #e5534b;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;" +
        "box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(overlay);
    }
    const title = document.createElement("strong");
    title.textContent = "This edit does not build. The page shows the last good build.";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Hide");
    close.style.cssText = "float:right;font:inherit;font-size:20px;background:none;color:inherit;border:0;cursor:pointer";
    close.onclick = hideErrors;
    const pre = document.createElement("pre");
    pre.style.cssText =
      "white-space:pre-wrap;margin:.75rem 0 0;padding:0;border:0;background:none;color:inherit;font:inherit";
    pre.textContent = text;
    overlay.replaceChildren(close, title, pre);
  }

  function hideErrors() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  let first = true;
  const events = new EventSource("/__cairn/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    const wasFirst = first;
    first = false;
    if (state.errors) {
      showErrors(state.errors);
      return;
    }
    hideErrors();
    // A rebuild happened between serving this page and connecting.
    if (wasFirst) {
      if (state.generation !== served) location.reload();
      return;
    }
    const changed = state.changed;
    if (changed === null || changed.includes(path) || changed.some((p) => assets.test(p))) {
      location.reload();
    }
  });
})();
