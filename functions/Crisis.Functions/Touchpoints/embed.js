// The crisis banner for an organisation's own site:
//   <script async src="https://<this app>/api/embed.js" data-touchpoint="home-banner"></script>
// Shows the touchpoint's crisis text, in the visitor's language, where the tag is, while a crisis overrides it;
// shows nothing otherwise. No eval, no inline styles or markup strings (styles are set as DOM properties, which a
// strict Content-Security-Policy allows), no cookies, no credentials. A visitor who dismisses a text is not shown
// that version again; a new text shows again. The tag's data-crisis-banner says how it went: "loading", then "shown",
// "dismissed" (by the visitor) or "none" (no crisis text now, or the app could not be reached).
(function () {
  "use strict";
  var labels = /*LABELS*/{};
  var scripts = document.currentScript ? [document.currentScript] : document.querySelectorAll("script[data-touchpoint]");
  for (var i = 0; i < scripts.length; i++) {
    if (!scripts[i].getAttribute("data-crisis-banner")) {
      scripts[i].setAttribute("data-crisis-banner", "loading");
      show(scripts[i]);
    }
  }

  function show(script) {
    var id = script.getAttribute("data-touchpoint");
    if (!id || !/^[a-z0-9-]{1,40}$/.test(id) || !window.fetch) {
      return;
    }

    var api = new URL("touchpoints/" + id, script.src);
    var language = navigator.language || "";
    if (/^[A-Za-z0-9-]{1,35}$/.test(language)) {
      api.searchParams.set("lang", language);
    }

    fetch(api.href, { credentials: "omit", mode: "cors" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (current) {
        if (!current || current.source !== "crisis-override") {
          script.setAttribute("data-crisis-banner", "none");
          return;
        }

        if (dismissed(id) === current.version) {
          script.setAttribute("data-crisis-banner", "dismissed");
          return;
        }

        script.parentNode.insertBefore(banner(id, current, script), script);
        script.setAttribute("data-crisis-banner", "shown");
      })
      .catch(function () {
        // No banner is better than a broken page: the site works without it.
        script.setAttribute("data-crisis-banner", "none");
      });
  }

  function banner(id, current, script) {
    var words = labels[current.language] || labels[current.language.split("-")[0]] || labels.en;
    var region = element("div", {
      display: "flex", alignItems: "flex-start", gap: "1em", boxSizing: "border-box", margin: "0", padding: "0.75em 1em",
      background: "#fff4ce", color: "#1f1f1f", borderInlineStart: "0.4em solid #8a4b00", font: "inherit", lineHeight: "1.5"
    });
    region.setAttribute("role", "region");
    region.setAttribute("aria-label", words.label);
    region.lang = current.language;
    region.dir = current.dir;

    var text = element("p", { margin: "0", flex: "1 1 auto", whiteSpace: "pre-line" });
    text.appendChild(document.createTextNode(current.text + " "));
    if (current.link) {
      var link = element("a", { color: "#0b3d91", textDecoration: "underline" });
      link.href = current.link;
      link.textContent = words.link;
      text.appendChild(link);
    }

    var dismiss = element("button", {
      flex: "0 0 auto", font: "inherit", padding: "0.25em 0.75em", color: "#1f1f1f", background: "#ffffff",
      border: "1px solid #1f1f1f", borderRadius: "0.25em", cursor: "pointer"
    });
    dismiss.type = "button";
    dismiss.textContent = words.dismiss;
    dismiss.addEventListener("click", function () {
      remember(id, current.version);
      region.parentNode.removeChild(region);
      script.setAttribute("data-crisis-banner", "dismissed");
    });

    region.appendChild(text);
    region.appendChild(dismiss);
    return region;
  }

  function element(name, style) {
    var node = document.createElement(name);
    for (var property in style) {
      node.style[property] = style[property];
    }

    return node;
  }

  function key(id) { return "crisis-banner-dismissed:" + id; }

  function dismissed(id) {
    try { return window.localStorage.getItem(key(id)); } catch (e) { return null; }
  }

  function remember(id, version) {
    try { window.localStorage.setItem(key(id), version); } catch (e) { /* Storage refused: dismissed for this page view only. */ }
  }
})();
