/* The page at /: lists the image services of the server (images.json, written by scripts/demo)
 * and shows the selected one in OpenSeadragon from its IIIF Image API 3.0 info.json.
 * The selection is kept in the URL's fragment (#identifier), so a view can be linked to. */
(function () {
  "use strict";

  var list = document.getElementById("image-list");
  var count = document.getElementById("image-count");
  var heading = document.getElementById("viewer-heading");
  var viewerElement = document.getElementById("viewer");
  var statusElement = document.getElementById("status");
  var details = document.getElementById("details");

  var services = { "3": "/iiif/3", "2": "/iiif/2" };
  var images = [];
  var buttons = [];
  var viewer = null;
  var selection = 0; /* bumped on each selection, so a late answer cannot override a newer one */

  function serviceUrl(version, id) {
    return services[version] + "/" + encodeURIComponent(id);
  }

  function setStatus(text, isError) {
    statusElement.textContent = text;
    statusElement.classList.toggle("error", Boolean(isError));
  }

  function createViewer() {
    if (typeof OpenSeadragon === "undefined") {
      return null;
    }
    var created = OpenSeadragon({
      element: viewerElement,
      prefixUrl: "openseadragon/images/",
      /* The 2D canvas drawer rather than OpenSeadragon's default WebGL one: it draws in every
       * browser, including those without a usable WebGL (no GPU, headless, some VMs), where the
       * WebGL drawer left the viewer blank while the navigator showed the image. */
      drawer: "canvas",
      showNavigator: true,
      navigatorPosition: "BOTTOM_RIGHT",
      showRotationControl: true,
      autoHideControls: false, /* buttons stay visible for touch and keyboard users */
      visibilityRatio: 0.5,
      maxZoomPixelRatio: 2,
      gestureSettingsTouch: { pinchRotate: false }
    });
    created.addHandler("open", function () {
      setStatus("");
    });
    created.addHandler("open-failed", function (event) {
      setStatus("The viewer could not open this image: " + (event.message || "unknown error"), true);
    });
    created.addHandler("tile-load-failed", function () {
      setStatus("Some tiles of this image failed to load.", true);
    });
    return created;
  }

  /* Without OpenSeadragon (npm ci did not run), a plain image stands in for the viewer. */
  function showStill(image, info) {
    var size = Math.max(info.width, info.height) > 1200 ? "!1200,1200" : "max";
    var img = document.createElement("img");
    img.className = "still";
    img.alt = image.id;
    img.src = serviceUrl("3", image.id) + "/full/" + size + "/0/default.jpg";
    viewerElement.replaceChildren(img);
    document.getElementById("help").hidden = true;
    setStatus("OpenSeadragon is not installed: showing a still image instead of the zoomable viewer.",
      true);
  }

  function showDetails(image, info) {
    var full = Math.max(info.width, info.height) > 2000 ? "!2000,2000" : "max";
    document.getElementById("detail-size").textContent =
      info.width.toLocaleString("en") + " × " + info.height.toLocaleString("en") + " pixels";
    document.getElementById("detail-file").textContent = image.file;
    document.getElementById("link-info3").href = serviceUrl("3", image.id) + "/info.json";
    document.getElementById("link-info2").href = serviceUrl("2", image.id) + "/info.json";
    var link = document.getElementById("link-full");
    link.href = serviceUrl("3", image.id) + "/full/" + full + "/0/default.jpg";
    link.textContent = full === "max" ? "JPEG, full size" : "JPEG, at most 2000 pixels a side";
    details.hidden = false;
  }

  function select(index) {
    var image = images[index];
    var infoUrl = serviceUrl("3", image.id) + "/info.json";
    var token = ++selection;

    buttons.forEach(function (button, i) {
      if (i === index) {
        button.setAttribute("aria-current", "true");
      } else {
        button.removeAttribute("aria-current");
      }
    });
    heading.textContent = image.id;
    if (decodeURIComponent(location.hash.slice(1)) !== image.id) {
      history.replaceState(null, "", "#" + encodeURIComponent(image.id));
    }
    details.hidden = true;
    setStatus("Loading " + image.id + "…");

    /* info.json first, for the size and for a readable reason when the image cannot be served;
     * the viewer's own request for it then comes from the browser's cache. */
    fetch(infoUrl)
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (reason) {
            throw new Error("HTTP " + response.status + (reason ? ": " + reason.trim() : ""));
          });
        }
        return response.json();
      })
      .then(function (info) {
        if (token !== selection) {
          return;
        }
        showDetails(image, info);
        if (viewer) {
          viewer.open({ tileSource: infoUrl });
        } else {
          showStill(image, info);
        }
      })
      .catch(function (error) {
        if (token !== selection) {
          return;
        }
        if (viewer) {
          viewer.close();
        }
        setStatus("This image cannot be shown (" + error.message + ").", true);
      });
  }

  function selectFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var index = images.findIndex(function (image) {
      return image.id === id;
    });
    select(index >= 0 ? index : 0);
  }

  function showList(catalog) {
    if (catalog.services) {
      services = catalog.services;
    }
    images = catalog.images || [];
    count.textContent = "(" + images.length + ")";
    if (images.length === 0) {
      setStatus("The source folder holds no image.", true);
      return;
    }
    images.forEach(function (image, index) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      var name = document.createElement("span");
      var file = document.createElement("span");
      button.type = "button";
      name.className = "name";
      name.textContent = image.id;
      file.className = "file";
      file.textContent = image.file;
      button.append(name, file);
      button.addEventListener("click", function () {
        select(index);
      });
      item.append(button);
      list.append(item);
      buttons.push(button);
    });
    viewer = createViewer();
    window.addEventListener("hashchange", selectFromHash);
    selectFromHash();
  }

  fetch("images.json", { cache: "no-cache" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(showList)
    .catch(function (error) {
      setStatus("The list of images (images.json) could not be loaded: " + error.message, true);
    });
})();
