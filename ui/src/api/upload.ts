// Uploads with progress and cancel: fetch() reports no upload progress, XMLHttpRequest does.
// The path and the answer's type come from the generated client's types.
import { csrf } from "./client";
import { describe, type Problem } from "./errors";
import type { Schemas } from "./client";

export type StoredFile = Schemas["FileOut"];

export interface Upload {
  done: Promise<StoredFile>;
  cancel: () => void;
}

export class UploadFailed extends Error {
  constructor(readonly problem: Problem | null) {
    super(problem?.message ?? "cancelled");
  }
}

/** Send one file into a vault; onProgress gets the fraction sent (0..1). */
export function uploadFile(vaultId: number, file: File, onProgress: (sent: number) => void): Upload {
  const request = new XMLHttpRequest();
  const done = new Promise<StoredFile>((resolve, reject) => {
    request.open("POST", `/api/vaults/${vaultId}/files`);
    request.setRequestHeader("X-CSRF-Token", csrf());
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201) resolve(request.response as StoredFile);
      else reject(new UploadFailed(describe(request.response, request.status)));
    };
    request.onerror = () => reject(new UploadFailed(describe(undefined)));
    request.onabort = () => reject(new UploadFailed(null));
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
  return { done, cancel: () => request.abort() };
}
