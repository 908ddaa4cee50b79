/* The object's landing page (where its ARK leads): object.html?manifest={manifest URL} shows
 * that IIIF manifest (Presentation 3.0 or 2.1) in Mirador, one window with the pages' index
 * open in its side bar and their thumbnails along the bottom. The manifest is also read here,
 * for the page's title and for a readable message when it cannot be loaded. */
(function () {
  "use strict";

  var title = document.getElementById("object-title");
  var statusElement = document.getElementById("status");
  var links = document.getElementById("object-links");
  var manifestLink = document.getElementById("link-manifest");

  function setStatus(text, isError) {
    statusElement.textContent = text;
    statusElement.hidden = text === "";
    statusElement.classList.toggle("error", Boolean(isError));
  }

  /* Only an absolute http(s) URL: anything else (javascript:, data:, a typo) is refused before
   * it reaches the viewer or a link. */
  function manifestUrl() {
    var value = new URLSearchParams(location.search).get("manifest");
    if (!value) {
      return null;
    }
    try {
      var url = new URL(value, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  /* A label in Presentation 3.0 ({"en": ["..."]}) or 2.1 ("...", {"@value"}, or a list of
   * them), in the page's language when the manifest has it. */
  function labelText(label) {
    if (!label) {
      return "";
    }
    if (typeof label === "string") {
      return label;
    }
    if (Array.isArray(label)) {
      var preferred = label.find(function (entry) {
        return entry && entry["@language"] === document.documentElement.lang;
      });
      return labelText(preferred || label[0]);
    }
    if (typeof label["@value"] === "string") {
      return label["@value"];
    }
    var language = document.documentElement.lang;
    var values = label[language] || label.none || label[Object.keys(label)[0]] || [];
    return values.join(", ");
  }

  function showMirador(url) {
    if (typeof Mirador === "undefined") {
      setStatus("The viewer (Mirador) is not installed on this server; the manifest is still " +
        "available from the link above.", true);
      return;
    }
    Mirador.viewer({
      id: "viewer",
      language: document.documentElement.lang,
      window: {
        allowClose: false,
        allowMaximize: false,
        hideWindowTitle: true, /* the page's heading already names the object */
        sideBarOpen: true,
        sideBarPanel: "canvas",
        defaultView: "single"
      },
      windows: [{ manifestId: url, thumbnailNavigationPosition: "far-bottom" }],
      thumbnailNavigation: { defaultPosition: "far-bottom" },
      workspace: { type: "mosaic", allowNewWindows: false },
      workspaceControlPanel: { enabled: false }
    });
  }

  var url = manifestUrl();
  if (!url) {
    setStatus("No manifest to show: this page expects ?manifest= followed by the address of a " +
      "IIIF manifest.", true);
    return;
  }
  manifestLink.href = url;
  links.hidden = false;

  fetch(url)
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (manifest) {
      var label = labelText(manifest.label);
      if (label) {
        title.textContent = label;
        document.title = label + " — Object viewer";
      }
      setStatus("");
      showMirador(url);
    })
    .catch(function (error) {
      setStatus("The manifest " + url + " could not be loaded (" + error.message + ").", true);
    });
})();
