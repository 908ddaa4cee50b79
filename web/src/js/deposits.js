// Deposits (POST /api/v1/objects, multipart), for the deposit page and the import page (one
// deposit per row): sent with their upload's progress and their job followed (uploads.js), and
// what to tell when a deposit was not accepted.
import { formatBytes, t } from "./i18n.js";
import { forgetSignIn } from "./signin.js";
import { followJob, sendForm } from "./uploads.js";

export { followJob };

// What the deposit page accepts and the import page takes from a folder.
export const imageExtensions = /\.(jpe?g|png|tiff?|jp2|j2k|jpx|webp|gif)$/i;

// Sends `body` (a FormData: the metadata part, the pages part, the files); `onProgress` hears
// the part of it sent, from 0 to 1. Resolves {status, answer} (answer: the JSON, or null).
export function sendDeposit(body, onProgress) {
  return sendForm("POST", "/api/v1/objects", body, onProgress);
}

// Why a deposit was not accepted (its status was not 202), in words; a 401 signs out.
export function refusalText(status, answer) {
  if (status === 0) return t("submit.network");
  if (status === 503) return t("submit.unavailable");
  if (status === 401) {
    forgetSignIn();
    return t("submit.signInFirst");
  }
  return t("submit.error", { reason: answer?.error || `HTTP ${status}` });
}

// What a file's refusal reason's message names: its size and the limit it crossed.
export function reasonParams(reason, file, limits = {}) {
  return reason === "too_large"
    ? { size: formatBytes(file?.size ?? 0), limit: formatBytes(limits?.max_file_bytes ?? 0) }
    : { limit: limits?.max_files_per_object };
}
