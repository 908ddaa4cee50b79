// The pages' texts in English and French. The language is the reader's choice made with the
// header's switch (kept in localStorage), else the first of the browser's languages that is
// French or English, else English. The HTML is written in English; elements carrying
// data-i18n="key" get the text of that key, and data-i18n-attr="attr:key;attr:key" attributes.

const messages = {
  en: {
    "skip": "Skip to content",
    "brand": "Digital collections",
    "nav.label": "Main",
    "nav.browse": "Browse",
    "nav.deposit": "Deposit",
    "language.switch": "Français",
    "language.switchLabel": "Lire cette page en français",

    "list.title": "Documents — Digital collections",
    "list.heading": "Documents",
    "list.searchLabel": "Search by title",
    "list.searchButton": "Search",
    "list.sets": "Collections",
    "list.allDocuments": "All documents",
    "list.recent": "Recent documents",
    "list.results": "Documents whose title matches “{q}”",
    "list.inSet": "Collection: {name}",
    "list.count": "{n} documents shown",
    "list.countOne": "1 document shown",
    "list.none": "No document yet.",
    "list.noMatch": "No document has a title matching “{q}”.",
    "list.noSets": "No collection yet.",
    "list.more": "Show more",
    "list.loading": "Loading…",
    "list.error": "The list could not be loaded ({reason}).",
    "list.pages": "{n} pages",
    "list.pagesOne": "1 page",
    "list.untitled": "Untitled",

    "deposit.title": "Deposit — Digital collections",
    "deposit.heading": "Deposit images",
    "deposit.intro": "Drop images, add a title if you like, and get at once a stable ARK, a zoomable image, a IIIF manifest and a record for harvesters.",
    "signin.heading": "Sign in",
    "signin.intro": "To deposit, sign in with your account or with an API key.",
    "signin.account": "Sign in with an account",
    "signin.keyLabel": "API key",
    "signin.keyButton": "Use this key",
    "signin.checking": "Checking…",
    "signin.asUser": "Signed in as {user}.",
    "signin.asKey": "Signed in with an API key.",
    "signin.out": "Sign out",
    "signin.refused": "This key was refused.",
    "signin.notDepositor": "This account may not deposit.",
    "signin.noSession": "You are not signed in yet: sign in in the window that opened, or use an API key.",
    "signin.popupBlocked": "The sign-in window could not open; allow pop-ups for this site, or use an API key.",
    "signin.error": "The sign-in could not be checked ({reason}).",
    "files.heading": "Files",
    "files.drop": "Drop images here",
    "files.or": "or",
    "files.choose": "Choose files",
    "files.hint": "JPEG, PNG, TIFF, JPEG 2000, WebP or GIF; up to {size} each, {count} files per document. The order of the list is the order of the pages.",
    "files.none": "No file chosen yet.",
    "files.listLabel": "Files to deposit, in page order",
    "files.up": "Move {name} up",
    "files.down": "Move {name} down",
    "files.remove": "Remove {name}",
    "files.progressLabel": "Progress of {name}",
    "files.added": "{n} files added.",
    "files.addedOne": "1 file added.",
    "files.moved": "{name} is now number {n}.",
    "files.removed": "{name} removed.",
    "state.ready": "Ready",
    "state.uploading": "Uploading: {p} %",
    "state.queued": "Uploaded, waiting to be converted",
    "state.converting": "Converting: {p} %",
    "state.done": "Done: page {page}",
    "state.refused": "Refused: {reason}",
    "state.failed": "Failed: {reason}",
    "reason.not_an_image": "this file is not an image in an accepted format (JPEG, PNG, TIFF, JPEG 2000, WebP, GIF).",
    "reason.damaged": "the image is damaged or truncated and cannot be read.",
    "reason.too_large": "the file is too large ({size}; the limit is {limit}).",
    "reason.too_many_pixels": "the image has too many pixels.",
    "reason.too_many_pages": "the document already has the maximum number of pages ({limit}).",
    "reason.withdrawn": "the document has been withdrawn.",
    "reason.internal": "the server could not convert it.",
    "reason.not_sent": "the deposit was not sent.",
    "meta.heading": "Description (optional)",
    "meta.intro": "Everything here may be left empty and completed later.",
    "meta.title": "Title",
    "meta.creator": "Creator",
    "meta.date": "Date",
    "meta.dateHint": "For example 1789, 1789-07-14 or “18th century”.",
    "meta.description": "Description",
    "meta.set": "Collection",
    "meta.noSet": "None",
    "meta.license": "Licence",
    "meta.noLicense": "Not stated",
    "meta.licenseHint": "Creative Commons licences and RightsStatements.org statements.",
    "meta.provider": "Holding institution",
    "meta.providerHint": "Left empty: {institution}.",
    "submit.button": "Deposit",
    "submit.sending": "Depositing…",
    "submit.noFiles": "Add at least one image first.",
    "submit.nothingLeft": "None of these files can be deposited.",
    "submit.signInFirst": "Sign in first.",
    "submit.error": "The deposit was refused: {reason}",
    "submit.network": "The server could not be reached; your files are still here, try again.",
    "submit.unavailable": "The service is unavailable for now; your files are still here, try again in a moment.",
    "submit.failed": "No file could be deposited.",
    "result.heading": "Deposited",
    "result.summary": "{done} of {total} files became pages of the document.",
    "result.ark": "ARK (stable address)",
    "result.image": "IIIF image (page 1)",
    "result.manifest": "IIIF manifest",
    "result.object": "Open the document’s page",
    "result.again": "Deposit other images",
    "copy.button": "Copy",
    "copy.label": "Copy the {what}",
    "copy.done": "Copied: {what}",
    "copy.failed": "Select the address and copy it.",

    "object.title": "{label} — Digital collections",
    "object.loading": "Loading the document…",
    "object.noManifest": "No document to show: this page expects ?ark= followed by an ARK, or ?manifest= followed by the address of a IIIF manifest.",
    "object.loadFailed": "The document could not be loaded ({reason}).",
    "object.notFound": "This document does not exist, or is no longer available.",
    "object.noViewer": "The viewer (Mirador) is not installed on this server; the manifest is still available from the link beside.",
    "object.noPages": "This document has no pages to show here.",
    "object.original": "See the original at {institution}",
    "object.originalPlain": "See the original",
    "object.about": "About this document",
    "object.links": "Links",
    "object.ark": "ARK",
    "object.manifest": "IIIF manifest",
    "object.dragLabel": "Open in another IIIF viewer",
    "object.dragHint": "Drag this logo into a IIIF viewer (Mirador, Universal Viewer…) to open the document there.",
    "object.record": "OAI-PMH record",
    "object.recordLink": "Dublin Core, XML",
    "object.licenseTitle": "Licence: {uri}",
    "object.colon": ": ",
  },
  fr: {
    "skip": "Aller au contenu",
    "brand": "Collections numériques",
    "nav.label": "Principale",
    "nav.browse": "Parcourir",
    "nav.deposit": "Déposer",
    "language.switch": "English",
    "language.switchLabel": "Read this page in English",

    "list.title": "Documents — Collections numériques",
    "list.heading": "Documents",
    "list.searchLabel": "Rechercher par titre",
    "list.searchButton": "Rechercher",
    "list.sets": "Collections",
    "list.allDocuments": "Tous les documents",
    "list.recent": "Documents récents",
    "list.results": "Documents dont le titre correspond à « {q} »",
    "list.inSet": "Collection : {name}",
    "list.count": "{n} documents affichés",
    "list.countOne": "1 document affiché",
    "list.none": "Aucun document pour l’instant.",
    "list.noMatch": "Aucun document n’a un titre correspondant à « {q} ».",
    "list.noSets": "Aucune collection pour l’instant.",
    "list.more": "Afficher la suite",
    "list.loading": "Chargement…",
    "list.error": "La liste n’a pas pu être chargée ({reason}).",
    "list.pages": "{n} pages",
    "list.pagesOne": "1 page",
    "list.untitled": "Sans titre",

    "deposit.title": "Déposer — Collections numériques",
    "deposit.heading": "Déposer des images",
    "deposit.intro": "Déposez des images, ajoutez un titre si vous le souhaitez, et obtenez aussitôt un ARK pérenne, une image zoomable, un manifeste IIIF et une notice moissonnable.",
    "signin.heading": "Connexion",
    "signin.intro": "Pour déposer, connectez-vous avec votre compte ou avec une clé d’API.",
    "signin.account": "Se connecter avec un compte",
    "signin.keyLabel": "Clé d’API",
    "signin.keyButton": "Utiliser cette clé",
    "signin.checking": "Vérification…",
    "signin.asUser": "Connecté en tant que {user}.",
    "signin.asKey": "Connecté avec une clé d’API.",
    "signin.out": "Se déconnecter",
    "signin.refused": "Cette clé a été refusée.",
    "signin.notDepositor": "Ce compte ne peut pas déposer.",
    "signin.noSession": "Vous n’êtes pas encore connecté : connectez-vous dans la fenêtre qui s’est ouverte, ou utilisez une clé d’API.",
    "signin.popupBlocked": "La fenêtre de connexion n’a pas pu s’ouvrir ; autorisez les fenêtres pour ce site, ou utilisez une clé d’API.",
    "signin.error": "La connexion n’a pas pu être vérifiée ({reason}).",
    "files.heading": "Fichiers",
    "files.drop": "Déposez des images ici",
    "files.or": "ou",
    "files.choose": "Choisir des fichiers",
    "files.hint": "JPEG, PNG, TIFF, JPEG 2000, WebP ou GIF ; jusqu’à {size} chacun, {count} fichiers par document. L’ordre de la liste est celui des pages.",
    "files.none": "Aucun fichier choisi pour l’instant.",
    "files.listLabel": "Fichiers à déposer, dans l’ordre des pages",
    "files.up": "Monter {name}",
    "files.down": "Descendre {name}",
    "files.remove": "Retirer {name}",
    "files.progressLabel": "Avancement de {name}",
    "files.added": "{n} fichiers ajoutés.",
    "files.addedOne": "1 fichier ajouté.",
    "files.moved": "{name} est maintenant en position {n}.",
    "files.removed": "{name} retiré.",
    "state.ready": "Prêt",
    "state.uploading": "Envoi : {p} %",
    "state.queued": "Envoyé, en attente de conversion",
    "state.converting": "Conversion : {p} %",
    "state.done": "Terminé : page {page}",
    "state.refused": "Refusé : {reason}",
    "state.failed": "Échec : {reason}",
    "reason.not_an_image": "ce fichier n’est pas une image dans un format accepté (JPEG, PNG, TIFF, JPEG 2000, WebP, GIF).",
    "reason.damaged": "l’image est endommagée ou tronquée et ne peut pas être lue.",
    "reason.too_large": "le fichier est trop volumineux ({size} ; la limite est de {limit}).",
    "reason.too_many_pixels": "l’image compte trop de pixels.",
    "reason.too_many_pages": "le document a déjà le nombre maximal de pages ({limit}).",
    "reason.withdrawn": "le document a été retiré.",
    "reason.internal": "le serveur n’a pas pu le convertir.",
    "reason.not_sent": "le dépôt n’a pas été envoyé.",
    "meta.heading": "Description (facultative)",
    "meta.intro": "Tout peut rester vide et être complété plus tard.",
    "meta.title": "Titre",
    "meta.creator": "Auteur",
    "meta.date": "Date",
    "meta.dateHint": "Par exemple 1789, 1789-07-14 ou « XVIIIe siècle ».",
    "meta.description": "Description",
    "meta.set": "Collection",
    "meta.noSet": "Aucune",
    "meta.license": "Licence",
    "meta.noLicense": "Non précisée",
    "meta.licenseHint": "Licences Creative Commons et mentions RightsStatements.org.",
    "meta.provider": "Établissement détenteur",
    "meta.providerHint": "Laissé vide : {institution}.",
    "submit.button": "Déposer",
    "submit.sending": "Dépôt en cours…",
    "submit.noFiles": "Ajoutez d’abord au moins une image.",
    "submit.nothingLeft": "Aucun de ces fichiers ne peut être déposé.",
    "submit.signInFirst": "Connectez-vous d’abord.",
    "submit.error": "Le dépôt a été refusé : {reason}",
    "submit.network": "Le serveur est injoignable ; vos fichiers sont toujours là, réessayez.",
    "submit.unavailable": "Le service est momentanément indisponible ; vos fichiers sont toujours là, réessayez dans un instant.",
    "submit.failed": "Aucun fichier n’a pu être déposé.",
    "result.heading": "Déposé",
    "result.summary": "{done} fichiers sur {total} sont devenus des pages du document.",
    "result.ark": "ARK (adresse pérenne)",
    "result.image": "Image IIIF (page 1)",
    "result.manifest": "Manifeste IIIF",
    "result.object": "Ouvrir la page du document",
    "result.again": "Déposer d’autres images",
    "copy.button": "Copier",
    "copy.label": "Copier : {what}",
    "copy.done": "Copié : {what}",
    "copy.failed": "Sélectionnez l’adresse et copiez-la.",

    "object.title": "{label} — Collections numériques",
    "object.loading": "Chargement du document…",
    "object.noManifest": "Aucun document à afficher : cette page attend ?ark= suivi d’un ARK, ou ?manifest= suivi de l’adresse d’un manifeste IIIF.",
    "object.loadFailed": "Le document n’a pas pu être chargé ({reason}).",
    "object.notFound": "Ce document n’existe pas, ou n’est plus disponible.",
    "object.noViewer": "La visionneuse (Mirador) n’est pas installée sur ce serveur ; le manifeste reste disponible par le lien ci-contre.",
    "object.noPages": "Ce document n’a pas de pages à montrer ici.",
    "object.original": "Voir l’original : {institution}",
    "object.originalPlain": "Voir l’original",
    "object.about": "À propos de ce document",
    "object.links": "Liens",
    "object.ark": "ARK",
    "object.manifest": "Manifeste IIIF",
    "object.dragLabel": "Ouvrir dans une autre visionneuse IIIF",
    "object.dragHint": "Glissez ce logo dans une visionneuse IIIF (Mirador, Universal Viewer…) pour y ouvrir le document.",
    "object.record": "Notice OAI-PMH",
    "object.recordLink": "Dublin Core, XML",
    "object.licenseTitle": "Licence : {uri}",
    "object.colon": " : ",
  },
};

export const languages = Object.keys(messages);

// "fr" or "en": the reader's earlier choice, else the browser's first French or English.
export function chooseLanguage(preferred, stored) {
  if (languages.includes(stored)) return stored;
  for (const tag of preferred || []) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (languages.includes(primary)) return primary;
  }
  return "en";
}

function storedLanguage() {
  try {
    return localStorage.getItem("lang");
  } catch {
    return null;  // storage disabled
  }
}

export const lang = chooseLanguage(navigator.languages || [navigator.language], storedLanguage());

// The text of `key` in the page's language, with {name} replaced by params.name.
export function t(key, params = {}) {
  const text = messages[lang][key] ?? messages.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A count's text: `key` + "One" for 1 (both languages say "1 page", "2 pages").
export function tCount(key, n, params = {}) {
  return n === 1 ? t(key + "One", params) : t(key, { ...params, n });
}

export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split(":");
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
}

// The header's switch: the other language, remembered, then the page read again.
export function setUpLanguageSwitch() {
  const button = document.getElementById("language-switch");
  if (!button) return;
  const other = lang === "fr" ? "en" : "fr";
  button.lang = other;
  button.textContent = t("language.switch");
  button.setAttribute("aria-label", t("language.switchLabel"));
  button.addEventListener("click", () => {
    try {
      localStorage.setItem("lang", other);
    } catch {
      // without storage the choice cannot outlive the page; the browser's language stays
    }
    location.reload();
  });
}

// Sizes as people read them: "850 KB", "12.5 MB", in the page's language.
export function formatBytes(bytes) {
  const units = lang === "fr" ? ["o", "Ko", "Mo", "Go"] : ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(lang, { maximumFractionDigits: digits })} ${units[unit]}`;
}
