// Small accessible building blocks: labelled fields with their errors, alerts, pages.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import type { Schemas } from "./api/client";
import type { Problem } from "./api/errors";
import { fieldError } from "./api/errors";
import { t } from "./messages";

interface FieldProps {
  name: string;
  /** Unique on the page when two forms have a field of the same name. */
  id?: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  problem?: Problem | null;
  type?: string;
  autoComplete?: string;
  inputMode?: "numeric" | "text" | "email" | "tel";
  required?: boolean;
  hint?: string;
}

export function Field(props: FieldProps): JSX.Element {
  const id = props.id ?? `field-${props.name}`;
  const error = fieldError(props.problem ?? null, props.name);
  const described = [props.hint ? `${id}-hint` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required ?? true}
        autoComplete={props.autoComplete ?? "off"}
        inputMode={props.inputMode}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function ProblemAlert({ problem }: { problem: Problem | null }): JSX.Element | null {
  if (!problem) return null;
  return (
    <div class="alert" role="alert">
      {problem.message}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <div class="notice" role="status">
      {children}
    </div>
  );
}

/** A page with its heading focused on arrival, so screen readers announce the new screen. */
export function Page({ title, children }: { title: string; children: ComponentChildren }): JSX.Element {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · VAULT03`;
    heading.current?.focus();
  }, [title]);
  return (
    <section class="page">
      <h1 tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </section>
  );
}

export function Submit({ busy, children }: { busy: boolean; children: ComponentChildren }): JSX.Element {
  return (
    <button type="submit" class="primary" disabled={busy} aria-busy={busy ? "true" : undefined}>
      {children}
    </button>
  );
}

/** A table with column headers and a caption for screen readers, scrolling sideways when narrow. */
export function Table(props: { caption: string; headers: string[]; children: ComponentChildren }): JSX.Element {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((header) => (
              <th scope="col" key={header}>
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** A search in a list the server pages (its state lives in the list: see usePagedList). */
export function ListSearch(props: { id: string; label: string; initial: string; onSearch: (q: string) => void }): JSX.Element {
  const [text, setText] = useState(props.initial);
  return (
    <form
      role="search"
      class="search"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSearch(text);
      }}
    >
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} />
      <button type="submit">{t("list.search")}</button>
    </form>
  );
}

/** Previous and next page of a list the server pages. */
export function Pager(props: { label: string; page: number; hasNext: boolean; go: (page: number) => void }): JSX.Element {
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={props.page <= 1} onClick={() => props.go(props.page - 1)}>
        {t("list.previous")}
      </button>{" "}
      <span>{t("list.page", { page: props.page })}</span>{" "}
      <button type="button" disabled={!props.hasNext} onClick={() => props.go(props.page + 1)}>
        {t("list.next")}
      </button>
    </nav>
  );
}

/** The languages of messages and portal pages, as a select's options; with `officeDefault`
 * first the empty value, "the office's default language". */
export function LanguageOptions({ officeDefault }: { officeDefault: boolean }): JSX.Element {
  return (
    <>
      {officeDefault && <option value="">{t("language.office")}</option>}
      {LANGUAGES.map((language) => (
        <option key={language} value={language}>
          {t(`language.${language}`)}
        </option>
      ))}
    </>
  );
}

const LANGUAGES: Schemas["CustomerOut"]["language"][] = ["en", "fr", "de"];
