// The document page's own texts in English and French, added to the shared ones (i18n.js).
import { addMessages } from "./i18n.js";

addMessages({
  en: {
    "object.edit": "Edit this document",
  },
  fr: {
    "object.edit": "Modifier ce document",
  },
});
