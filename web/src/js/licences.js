// Licences and rights statements: the deposit form's choices, and the short names shown as an
// object's badge. iiifd accepts the Creative Commons licences and RightsStatements.org
// statements (common/dublin_core.hpp, is_known_license); these are the ones offered.
import { lang } from "./i18n.js";

const statements = {
  InC: ["In Copyright", "Protégé par le droit d’auteur"],
  "InC-OW-EU": ["In Copyright – EU Orphan Work", "Protégé – œuvre orpheline (UE)"],
  "InC-EDU": ["In Copyright – Educational Use Permitted", "Protégé – usage pédagogique autorisé"],
  "InC-NC": ["In Copyright – Non-Commercial Use Permitted", "Protégé – usage non commercial autorisé"],
  "InC-RUU": ["In Copyright – Rights-holder(s) Unlocatable or Unidentifiable",
    "Protégé – ayants droit introuvables ou non identifiés"],
  "NoC-CR": ["No Copyright – Contractual Restrictions", "Libre de droits – restrictions contractuelles"],
  "NoC-NC": ["No Copyright – Non-Commercial Use Only", "Libre de droits – usage non commercial seulement"],
  "NoC-OKLR": ["No Copyright – Other Known Legal Restrictions",
    "Libre de droits – autres restrictions légales connues"],
  "NoC-US": ["No Copyright – United States", "Libre de droits aux États-Unis"],
  CNE: ["Copyright Not Evaluated", "Droits non évalués"],
  UND: ["Copyright Undetermined", "Droits indéterminés"],
  NKC: ["No Known Copyright", "Aucun droit d’auteur connu"],
};

// The form's list, in the order a library usually offers them.
export const licenceChoices = [
  "https://creativecommons.org/publicdomain/mark/1.0/",
  "https://creativecommons.org/publicdomain/zero/1.0/",
  "https://creativecommons.org/licenses/by/4.0/",
  "https://creativecommons.org/licenses/by-sa/4.0/",
  "https://creativecommons.org/licenses/by-nd/4.0/",
  "https://creativecommons.org/licenses/by-nc/4.0/",
  "https://creativecommons.org/licenses/by-nc-sa/4.0/",
  "https://creativecommons.org/licenses/by-nc-nd/4.0/",
  ...["NoC-NC", "NoC-OKLR", "NoC-CR", "InC", "InC-EDU", "InC-NC", "InC-RUU", "CNE", "UND", "NKC"]
    .map((code) => `http://rightsstatements.org/vocab/${code}/1.0/`),
];

// "CC BY-SA 4.0", "CC0 1.0", "Public Domain Mark 1.0", a statement's name; the URI otherwise.
export function licenceName(uri) {
  const cc = /creativecommons\.org\/licenses\/([a-z-]+)\/([0-9.]+)\//.exec(uri);
  if (cc) return `CC ${cc[1].toUpperCase()} ${cc[2]}`;
  if (/creativecommons\.org\/publicdomain\/zero\/1\.0\//.test(uri)) return "CC0 1.0";
  if (/creativecommons\.org\/publicdomain\/mark\/1\.0\//.test(uri)) {
    return lang === "fr" ? "Marque du domaine public 1.0" : "Public Domain Mark 1.0";
  }
  const rs = /rightsstatements\.org\/vocab\/([A-Za-z-]+)\/1\.0\//.exec(uri);
  if (rs && statements[rs[1]]) return statements[rs[1]][lang === "fr" ? 1 : 0];
  return uri;
}
