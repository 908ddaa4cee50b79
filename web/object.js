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
  var rightsLine = document.getElementById("object-rights");
  var sourceElement = document.getElementById("source");
  var licenseLink = document.getElementById("license");

  /* The short name of a Creative Commons licence or RightsStatements.org statement, shown as
   * its badge: "CC BY-SA 4.0", "CC0 1.0", "Public Domain Mark 1.0", "In Copyright"; the URI
   * itself for any other. */
  var statements = {
    "InC": "In Copyright", "InC-OW-EU": "In Copyright – EU Orphan Work",
    "InC-EDU": "In Copyright – Educational Use Permitted",
    "InC-NC": "In Copyright – Non-Commercial Use Permitted",
    "InC-RUU": "In Copyright – Rights-holder(s) Unlocatable or Unidentifiable",
    "NoC-CR": "No Copyright – Contractual Restrictions",
    "NoC-NC": "No Copyright – Non-Commercial Use Only",
    "NoC-OKLR": "No Copyright – Other Known Legal Restrictions",
    "NoC-US": "No Copyright – United States", "CNE": "Copyright Not Evaluated",
    "UND": "Copyright Undetermined", "NKC": "No Known Copyright"
  };
  function licenseName(uri) {
    var cc = /creativecommons\.org\/licenses\/([a-z-]+)\/([0-9.]+)\//.exec(uri);
    if (cc) {
      return "CC " + cc[1].toUpperCase() + " " + cc[2];
    }
    if (/creativecommons\.org\/publicdomain\/zero\/1\.0\//.test(uri)) {
      return "CC0 1.0";
    }
    if (/creativecommons\.org\/publicdomain\/mark\/1\.0\//.test(uri)) {
      return "Public Domain Mark 1.0";
    }
    var rs = /rightsstatements\.org\/vocab\/([A-Za-z-]+)\/1\.0\//.exec(uri);
    if (rs && statements[rs[1]]) {
      return statements[rs[1]];
    }
    return uri;
  }

  /* The licence (3.0 "rights", 2.1 "license") and the source mention (3.0 "requiredStatement",
   * 2.1 "attribution"), as the holding institution asks them to be shown beside the object. */
  function showRights(manifest) {
    var rights = manifest.rights || manifest.license;
    if (Array.isArray(rights)) {
      rights = rights[0];
    }
    if (typeof rights === "string" && /^https?:\/\//.test(rights)) {
      licenseLink.href = rights;
      licenseLink.textContent = licenseName(rights);
      licenseLink.title = "Licence: " + rights;
      licenseLink.hidden = false;
    }
    var statement = manifest.requiredStatement;
    var source = statement ? labelText(statement.label) + ": " + labelText(statement.value)
      : labelText(manifest.attribution);
    if (source) {
      sourceElement.textContent = source;
      sourceElement.hidden = false;
    }
    rightsLine.hidden = licenseLink.hidden && sourceElement.hidden;
  }

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
      showRights(manifest);
      setStatus("");
      showMirador(url);
    })
    .catch(function (error) {
      setStatus("The manifest " + url + " could not be loaded (" + error.message + ").", true);
    });
})();
