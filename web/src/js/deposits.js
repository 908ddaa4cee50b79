// Sending a deposit (POST /api/v1/objects, multipart) and following its job, for the deposit
// page and the import page (one deposit per row): the request's upload progress, the job's
// state read until it ends, and what to tell when the deposit was not accepted.
import { jsonOf } from "./common.js";
import { formatBytes, t } from "./i18n.js";
import { authHeaders, forgetSignIn } from "./signin.js";

// What the deposit page accepts and the import page takes from a folder.
export const imageExtensions = /\.(jpe?g|png|tiff?|jp2|j2k|jpx|webp|gif)$/i;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sends `body` (a FormData: the metadata part, the pages part, the files); `onProgress` hears
// the part of it sent, from 0 to 1. Resolves {status, answer} (answer: the JSON, or null).
export function sendDeposit(body, onProgress) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/objects");
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        answer = null;
      }
      resolve({ status: request.status, answer });
    });
    request.addEventListener("error", () => resolve({ status: 0, answer: null }));
    request.addEventListener("abort", () => resolve({ status: 0, answer: null }));
    request.send(body);
  });
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

// Reads the job at `statusUrl` until it is done or failed, giving each answer to `onJob`;
// resolves the last. Throws after some 5 minutes without an answer.
export async function followJob(statusUrl, onJob) {
  let failures = 0;
  for (;;) {
    let job = null;
    try {
      job = await jsonOf(await fetch(statusUrl, { headers: authHeaders(), credentials: "same-origin" }));
      failures = 0;
    } catch (error) {
      if (++failures > 300) throw error;
      await sleep(1000);
      continue;
    }
    onJob(job);
    if (job.state === "done" || job.state === "failed") return job;
    await sleep(400);
  }
}
