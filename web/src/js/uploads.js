// Sending files to the API and following the ingest job it answers with, for the pages that
// upload (deposit, edit): the request's upload progress, which fetch does not report, comes
// from XMLHttpRequest; the job's (GET /api/v1/jobs/{id}) from polling it.
import { jsonOf } from "./common.js";
import { authHeaders } from "./signin.js";

// Sends `body` (a FormData) to `url`; `onProgress` hears of the fraction sent (0 to 1). Resolves
// with {status, answer} (the JSON answer, or null), status 0 when the network failed.
export function sendForm(method, url, body, onProgress = () => {}) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls the job at `statusUrl` until it is done or failed, giving each answer to `onJob`;
// resolves with the last. Throws after some 5 minutes without an answer.
export async function followJob(statusUrl, onJob = () => {}) {
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
