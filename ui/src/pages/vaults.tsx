// Vaults and their files: many files at once by drag-and-drop or the picker, each with its own
// progress bar and cancel button; download, delete, who uploaded what, sizes and times in words.
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";

import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import type { Problem } from "../api/errors";
import { type Upload, UploadFailed, uploadFile } from "../api/upload";
import { Field, ListSearch, Page, Pager, ProblemAlert, Submit, Table } from "../components";
import { confirmAction } from "../confirm";
import { formatBytes, formatTime } from "../format";
import { useLoad, usePagedList, useSubmit } from "../hooks";
import { t } from "../messages";
import { NewShare, VaultShares } from "./shares";

type StoredFile = Schemas["FileOut"];
const VAULTS_PAGE = 25;
const FILES_PAGE = 50;

export function CustomerVaults({ customerId, canEdit }: { customerId: number; canEdit: boolean }): JSX.Element {
  const vaults = usePagedList(
    (window) =>
      call(api.GET("/api/customers/{customer_id}/vaults", { params: { path: { customer_id: customerId }, query: window } })),
    VAULTS_PAGE,
    [customerId],
  );
  const [name, setName] = useState("");
  const { busy, problem, submit } = useSubmit();
  const create = submit(async () => {
    await call(
      api.POST("/api/customers/{customer_id}/vaults", {
        params: { path: { customer_id: customerId } },
        body: { name: name.trim() },
      }),
    );
    setName("");
    vaults.reload();
  });
  return (
    <section aria-labelledby="vaults">
      <h2 id="vaults">{t("vaults.title")}</h2>
      <ProblemAlert problem={vaults.problem} />
      {vaults.loading && !vaults.data && <p role="status">{t("app.loading")}</p>}
      {vaults.large && <ListSearch id="vault-search" label={t("vaults.search")} initial={vaults.q} onSearch={vaults.search} />}
      {vaults.data?.length === 0 && <p>{vaults.q ? t("vaults.none_found", { q: vaults.q }) : t("vaults.empty")}</p>}
      {vaults.data && vaults.data.length > 0 && (
        <ul class="vaults">
          {vaults.data.map((vault) => (
            <li key={vault.id}>
              <a href={`#/vaults/${vault.id}`}>{vault.name}</a>{" "}
              <span class="muted">
                {t("vaults.summary", { count: vault.file_count, size: formatBytes(vault.used_bytes) })}
              </span>
            </li>
          ))}
        </ul>
      )}
      {vaults.large && <Pager label={t("vaults.pages")} page={vaults.page} hasNext={vaults.hasNext} go={vaults.go} />}
      {canEdit && (
        <form onSubmit={create} noValidate class="inline">
          <ProblemAlert problem={problem} />
          <Field name="name" id="new-vault-name" label={t("vaults.new_name")} value={name} onInput={setName} problem={problem} />
          <Submit busy={busy}>{t("vaults.create")}</Submit>
        </form>
      )}
    </section>
  );
}

interface Sending {
  key: number;
  name: string;
  size: number;
  sent: number;
  state: "sending" | "done" | "failed" | "cancelled";
  problem: Problem | null;
  upload: Upload;
}

function Uploader({ vaultId, onStored }: { vaultId: number; onStored: () => void }): JSX.Element {
  const [sending, setSending] = useState<Sending[]>([]);
  const [over, setOver] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const counter = useRef(0);
  const update = (key: number, change: Partial<Sending>): void =>
    setSending((items) => items.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const start = (files: FileList | null): void => {
    for (const file of Array.from(files ?? [])) {
      const key = (counter.current += 1);
      const upload = uploadFile(vaultId, file, (sent) => update(key, { sent }));
      setSending((items) => [
        ...items,
        { key, name: file.name, size: file.size, sent: 0, state: "sending", problem: null, upload },
      ]);
      upload.done.then(
        () => {
          update(key, { state: "done", sent: 1 });
          onStored();
        },
        (error: unknown) => {
          const problem = error instanceof UploadFailed ? error.problem : null;
          update(key, { state: problem ? "failed" : "cancelled", problem });
        },
      );
    }
    if (picker.current) picker.current.value = "";
  };

  return (
    <section aria-labelledby="upload">
      <h2 id="upload">{t("upload.title")}</h2>
      {/* Dropping files is the mouse's shortcut; the file picker inside is the keyboard's way. */}
      {/* eslint-disable-next-line jsx-a11y/no-static-element-interactions */}
      <div
        class={over ? "dropzone over" : "dropzone"}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          start(event.dataTransfer?.files ?? null);
        }}
      >
        <p>{t("upload.drop")}</p>
        <label for="upload-picker">{t("upload.pick")}</label>
        <input id="upload-picker" ref={picker} type="file" multiple onChange={(event) => start(event.currentTarget.files)} />
      </div>
      {sending.length > 0 && (
        <ul class="uploads" aria-label={t("upload.list")}>
          {sending.map((item) => (
            <li key={item.key}>
              <span class="upload-name">
                {item.name} ({formatBytes(item.size)})
              </span>
              <progress max={1} value={item.sent} aria-label={t("upload.progress", { name: item.name })} />
              <span role="status">
                {item.state === "sending" && t("upload.percent", { percent: Math.floor(item.sent * 100) })}
                {item.state === "done" && t("upload.done")}
                {item.state === "cancelled" && t("upload.cancelled")}
                {item.state === "failed" && item.problem?.message}
              </span>
              {item.state === "sending" && (
                <button type="button" onClick={() => item.upload.cancel()}>
                  {t("upload.cancel", { name: item.name })}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function uploader(file: StoredFile, me: number): string {
  if (file.uploaded_by === null) return t("files.by_customer");
  return file.uploaded_by === me ? t("files.by_you") : t("files.by_staff");
}

export function VaultPage({ id, me, canEdit }: { id: number; me: number; canEdit: boolean }): JSX.Element {
  const vault = useLoad(() => call(api.GET("/api/vaults/{vault_id}", { params: { path: { vault_id: id } } })), [id]);
  const files = usePagedList(
    (window) => call(api.GET("/api/vaults/{vault_id}/files", { params: { path: { vault_id: id }, query: window } })),
    FILES_PAGE,
    [id],
  );
  const removal = useSubmit();
  const remove = (file: StoredFile) =>
    removal.submit(async () => {
      if (!(await confirmAction(t("files.delete_confirm", { name: file.name }), t("files.delete_short")))) return;
      await call(api.DELETE("/api/files/{file_id}", { params: { path: { file_id: file.id } } }));
      files.reload();
      vault.reload();
    });
  return (
    <Page title={vault.data?.name ?? t("vaults.title")}>
      {vault.data && (
        <p>
          <a href={`#/customers/${vault.data.customer_id}`}>{t("vaults.back")}</a>
          {" · "}
          {t("vaults.summary", { count: vault.data.file_count, size: formatBytes(vault.data.used_bytes) })}
        </p>
      )}
      <ProblemAlert problem={vault.problem ?? files.problem ?? removal.problem} />
      {files.loading && !files.data && <p role="status">{t("app.loading")}</p>}
      {files.large && <ListSearch id="file-search" label={t("files.search")} initial={files.q} onSearch={files.search} />}
      {files.data?.length === 0 && <p>{files.q ? t("files.none_found", { q: files.q }) : t("files.empty")}</p>}
      {files.data && files.data.length > 0 && (
        <Table caption={t("files.title")} headers={[t("files.name"), t("files.size"), t("files.uploaded_by"), t("files.uploaded_at"), ...(canEdit ? [t("files.actions")] : [])]}>
              {files.data.map((file) => (
                <tr key={file.id}>
                  <td>
                    <a href={`/api/files/${file.id}/content`} download={file.name}>
                      {file.name}
                    </a>
                  </td>
                  <td>{formatBytes(file.size)}</td>
                  <td>{uploader(file, me)}</td>
                  <td>{formatTime(file.created_at)}</td>
                  {canEdit && (
                    <td>
                      <button type="button" onClick={remove(file)} aria-label={t("files.delete", { name: file.name })}>
                        {t("files.delete_short")}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
        </Table>
      )}
      {files.large && <Pager label={t("files.pages")} page={files.page} hasNext={files.hasNext} go={files.go} />}
      {canEdit && (
        <Uploader
          vaultId={id}
          onStored={() => {
            files.reload();
            vault.reload();
          }}
        />
      )}
      <VaultShares vaultId={id} />
      {canEdit && <NewShare vaultId={id} files={files.data ?? []} />}
    </Page>
  );
}
