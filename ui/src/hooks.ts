// Loading data and submitting forms, with their loading and error states in words.
import { useCallback, useEffect, useState } from "preact/hooks";

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
      .then((value) => current && (setData(value), setProblem(null)))
      .catch((error: unknown) => current && setProblem(problemOf(error)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [...keys, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { data, problem, loading, reload };
}
