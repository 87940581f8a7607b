// Live reload for `vaucluse-atlas serve`: injected by the server into the pages it serves,
// never part of a built site. Same origin only (the theme's CSP: script-src 'self', and
// connect-src falls back to default-src 'self'); no inline script or style.
//
// Events (Server-Sent Events, on the same port, at `events` beside this script):
//   hello    {build, diagnostics}         on every (re)connection
//   reload   {build, files, diagnostics}  a new site is served; files: what changed (null: all)
//   css      {build, stylesheets, diagnostics}  only stylesheets changed: swapped, no reload
//   erreurs  {build, diagnostics}         the last save broke the content: overlay
//   ok       {build}                      the error is gone, nothing else changed
// An event is sent only once the new site is served, so a reload always gets the new page.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.EventSource || !window.JSON) {
    return;
  }
  var build = script.getAttribute("data-build") || "";
  var files = (script.getAttribute("data-files") || "").split(" ");
  var here = new URL(script.src, location.href);
  var KEY = "vaucluse-atlas:defilement";
  var place = location.pathname + location.search;

  // Scroll position, kept across the reloads this script asks for.
  try {
    var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    sessionStorage.removeItem(KEY);
    if (saved && saved.place === place) {
      var restore = function () {
        window.scrollTo(saved.x, saved.y);
      };
      restore();
      window.addEventListener("load", restore);
    }
  } catch (e) {
    /* sessionStorage may be disabled: reload without it */
  }

  function reload() {
    try {
      sessionStorage.setItem(
        KEY,
        JSON.stringify({ place: place, x: window.scrollX, y: window.scrollY })
      );
    } catch (e) {
      /* ignore */
    }
    location.reload();
  }

  // The error overlay: a fixed panel, announced by screen readers (role="alert"), styled by
  // overlay.css (a stylesheet of the same origin: style-src 'self').
  var overlay = null;
  function stylesheet() {
    if (document.getElementById("vaucluse-atlas-style")) {
      return;
    }
    var link = document.createElement("link");
    link.id = "vaucluse-atlas-style";
    link.rel = "stylesheet";
    link.href = new URL("overlay.css", here).href;
    document.head.appendChild(link);
  }
  function showErrors(diagnostics) {
    stylesheet();
    hideErrors();
    var errors = diagnostics.filter(function (d) {
      return d.severity === "erreur";
    }).length;
    overlay = document.createElement("div");
    overlay.id = "vaucluse-atlas-erreurs";
    overlay.className = "vaucluse-atlas-erreurs";
    overlay.setAttribute("role", "alert");
    var panel = document.createElement("div");
    panel.className = "vaucluse-atlas-erreurs__panneau";
    var title = document.createElement("p");
    title.className = "vaucluse-atlas-erreurs__titre";
    title.textContent =
      (errors > 1 ? errors + " erreurs" : "Une erreur") +
      " dans le contenu\u202f: " +
      (build
        ? "la page affichée est la dernière version valide du site."
        : "le site n’a pas encore pu être construit.");
    panel.appendChild(title);
    var list = document.createElement("div");
    list.className = "vaucluse-atlas-erreurs__liste";
    // Built by the server with Diagnostic::render_html: every text is escaped there.
    list.innerHTML = diagnostics
      .map(function (d) {
        return d.html;
      })
      .join("");
    panel.appendChild(list);
    var note = document.createElement("p");
    note.className = "vaucluse-atlas-erreurs__note";
    note.textContent =
      "Ce panneau disparaît de lui-même dès que l’erreur est corrigée.";
    panel.appendChild(note);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "vaucluse-atlas-erreurs__fermer";
    close.textContent = "Masquer";
    close.addEventListener("click", hideErrors);
    panel.appendChild(close);
    overlay.appendChild(panel);
    document.body.appendChild(overlay);
  }
  function hideErrors() {
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }
  function diagnostics(data) {
    if (data.diagnostics && data.diagnostics.length) {
      showErrors(data.diagnostics);
    } else {
      hideErrors();
    }
  }

  // A new stylesheet is loaded beside the old one, which goes once the new one applies.
  function swapStylesheets(changed) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin || link.id === "vaucluse-atlas-style") {
        return;
      }
      if (changed && changed.indexOf(url.pathname) < 0) {
        return;
      }
      url.searchParams.set("atlas", build);
      var next = link.cloneNode(false);
      next.href = url.href;
      var done = function () {
        link.remove();
      };
      next.addEventListener("load", done);
      next.addEventListener("error", done);
      link.parentNode.insertBefore(next, link.nextSibling);
    });
  }

  function concerned(changed) {
    if (!changed) {
      return true;
    }
    return files.some(function (f) {
      return f === "" || changed.indexOf(f) >= 0;
    });
  }

  var delay = 250;
  function connect() {
    var source = new EventSource(new URL("events", here).href);
    function on(name, handler) {
      source.addEventListener(name, function (event) {
        handler(JSON.parse(event.data));
      });
    }
    on("hello", function (data) {
      delay = 250;
      if (data.build && data.build !== build) {
        reload();
        return;
      }
      diagnostics(data);
    });
    on("reload", function (data) {
      if (!build || concerned(data.files)) {
        reload();
        return;
      }
      build = data.build;
      diagnostics(data);
    });
    on("css", function (data) {
      build = data.build;
      swapStylesheets(data.stylesheets);
      diagnostics(data);
    });
    on("erreurs", diagnostics);
    on("ok", hideErrors);
    // The server stopped or restarted: try again, less and less often (at most every 5 s).
    source.onerror = function () {
      source.close();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
  }
  connect();
})();
