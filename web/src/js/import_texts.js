// The import page's own texts in English and French, added to the shared ones (i18n.js): what
// the dry run says of a row already deposited from the page, and the problems POST
// /api/v1/imports/check finds, by their code (daemon/sheet_import.hpp), in the page's language.
import { addMessages, t } from "./i18n.js";

// A problem's code → its text; {value} is the value it names (its "params").
const problems = {
  en: {
    "date.invalid": "not a date: \"{value}\"",
    "language.invalid": "not a language: \"{value}\"",
    "licence.unknown": "unknown licence: \"{value}\"",
    "collection.invalid": "not a set spec: \"{value}\"",
    "labels.start": "not a number after the rule: {value}",
    "access.unknown": "no such policy: \"{value}\"",
    "type.unknown": "not a DCMI type, kept as it is: \"{value}\"",
    "pages.none": "no folder and no files: a document needs pages",
    "title.none": "no title: the document is shown by its ARK",
  },
  fr: {
    "date.invalid": "pas une date : « {value} »",
    "language.invalid": "pas une langue : « {value} »",
    "licence.unknown": "licence inconnue : « {value} »",
    "collection.invalid": "pas un identifiant de collection : « {value} »",
    "labels.start": "pas un nombre après la règle : {value}",
    "access.unknown": "aucune règle d’accès de ce nom : « {value} »",
    "type.unknown": "pas un type DCMI, gardé tel quel : « {value} »",
    "pages.none": "ni dossier ni fichiers : un document a besoin de pages",
    "title.none": "pas de titre : le document sera désigné par son ARK",
  },
};

const prefixed = (texts) => Object.fromEntries(Object.entries(texts).map(([code, text]) => [`rowProblem.${code}`, text]));

addMessages({
  en: {
    ...prefixed(problems.en),
    "check.done": "Deposited already:",
    "check.already": "{n} rows were deposited already ({rows}): they will not be deposited again.",
    "check.alreadyOne": "1 row was deposited already ({rows}): it will not be deposited again.",
    "run.alreadyCount": "{n} rows deposited earlier, not sent again ({rows}).",
    "run.alreadyCountOne": "1 row deposited earlier, not sent again ({rows}).",
  },
  fr: {
    ...prefixed(problems.fr),
    "check.done": "Déjà déposée :",
    "check.already": "{n} lignes ont déjà été déposées ({rows}) : elles ne seront pas déposées de nouveau.",
    "check.alreadyOne": "1 ligne a déjà été déposée ({rows}) : elle ne sera pas déposée de nouveau.",
    "run.alreadyCount": "{n} lignes déposées plus tôt, non renvoyées ({rows}).",
    "run.alreadyCountOne": "1 ligne déposée plus tôt, non renvoyée ({rows}).",
  },
});

// A problem of the check ({code, params, message}) in the page's language; a code this page does
// not know (metadata.refused: the deposit's own check), or a problem found here (message only),
// by its message.
export function problemText(problem) {
  return Object.hasOwn(problems.en, problem.code ?? "") ? t(`rowProblem.${problem.code}`, problem.params || {}) : problem.message;
}
