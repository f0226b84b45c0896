// Loading data and submitting forms, with their loading and error states in words.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { problemOf } from "./api/call";
import type { Problem } from "./api/errors";

export interface Submission {
  busy: boolean;
  problem: Problem | null;
  submit: (work: () => Promise<void>) => (event?: Event) => void;
}

/** Run a form's submission: busy while it runs, its problem in words when it fails. */
export function useSubmit(): Submission {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = (work: () => Promise<void>) => (event?: Event) => {
    event?.preventDefault();
    setBusy(true);
    setProblem(null);
    work()
      .catch((error: unknown) => setProblem(problemOf(error)))
      .finally(() => setBusy(false));
  };
  return { busy, problem, submit };
}

export interface Loaded<T> {
  data: T | undefined;
  problem: Problem | null;
  loading: boolean;
  reload: () => void;
}

/** Data loaded when `keys` change; reload() loads it again (after a change). */
export function useLoad<T>(load: () => Promise<T>, keys: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!current) return;
        setData(value);
        setProblem(null);
      })
      .catch((error: unknown) => current && setProblem(problemOf(error)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // `keys` are the caller's dependencies of `load`, checked at each useLoad call instead
    // (exhaustive-deps' additionalHooks in eslint.config.js); `load` is new at each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...keys, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { data, problem, loading, reload };
}

export interface OlderPages<T> {
  items: T[];
  problem: Problem | null;
  loading: boolean;
  /** Load the next, older page; null on the last page. */
  more: (() => void) | null;
}

/** A list paged by the server, newest first: the first page when `keys` change, then older
 * pages appended on request (`before` is the previous page's next_before_id). */
export function useOlderPages<T>(
  load: (before: number | null) => Promise<{ items: T[]; next_before_id?: number | null | undefined }>,
  keys: unknown[],
): OlderPages<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const fetchPage = (before: number | null, started: number, shown: T[]): void => {
    setLoading(true);
    load(before)
      .then((page) => {
        if (started !== latest.current) return;
        setItems([...shown, ...page.items]);
        setNext(page.next_before_id ?? null);
        setProblem(null);
      })
      .catch((error: unknown) => started === latest.current && setProblem(problemOf(error)))
      .finally(() => started === latest.current && setLoading(false));
  };
  const latest = useRef(0);
  useEffect(() => {
    latest.current += 1;
    setItems([]);
    setNext(null);
    fetchPage(null, latest.current, []);
    // `keys` are the caller's dependencies of `load`, checked at each useOlderPages call.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, keys);
  const more = next === null || loading ? null : () => fetchPage(next, latest.current, items);
  return { items, problem, loading, more };
}

export interface ListWindow {
  limit: number;
  offset: number;
  q: string | null;
}

export interface PagedList<T> extends Loaded<T[]> {
  page: number;
  hasNext: boolean;
  q: string;
  /** Whether there is more than one page or a search: when paging and search are worth showing. */
  large: boolean;
  go: (page: number) => void;
  search: (q: string) => void;
}

/** A list the server pages and searches: `pageSize` items per page (one more is asked for, to
 * know whether a next page exists); a new search starts at the first page. */
export function usePagedList<T>(load: (window: ListWindow) => Promise<T[]>, pageSize: number, keys: unknown[]): PagedList<T> {
  const [page, setPage] = useState(1);
  const [q, setQ] = useState("");
  // `keys` are the caller's dependencies of `load` (its pageSize is a constant).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const loaded = useLoad(() => load({ limit: pageSize + 1, offset: (page - 1) * pageSize, q: q || null }), [...keys, page, q]);
  const hasNext = (loaded.data?.length ?? 0) > pageSize;
  return {
    ...loaded,
    data: loaded.data?.slice(0, pageSize),
    page,
    hasNext,
    q,
    large: page > 1 || hasNext || q !== "",
    go: setPage,
    search: (value: string) => {
      setQ(value.trim());
      setPage(1);
    },
  };
}
