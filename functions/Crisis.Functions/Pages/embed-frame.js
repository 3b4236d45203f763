// The dismiss button of the framed crisis banner (<iframe src=".../embed.html">), with script: hides the banner at once
// and remembers the text's version in the frame's own storage, so the visitor is not shown that text again on the next
// page view; a new text shows again. Without script the button's form asks for the frame marked dismissed, which
// answers an empty page for that view.
(function () {
  "use strict";
  var banner = document.querySelector(".banner[data-version]");
  if (!banner) {
    return;
  }

  var key = "crisis-banner-dismissed:" + banner.getAttribute("data-touchpoint");
  var version = banner.getAttribute("data-version");
  if (read() === version) {
    hide();
    return;
  }

  banner.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    try { window.localStorage.setItem(key, version); } catch (e) { /* Storage refused: dismissed for this page view only. */ }
    hide();
  });

  function read() {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function hide() {
    banner.parentNode.removeChild(banner);
  }
})();
