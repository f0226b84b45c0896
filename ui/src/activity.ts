// Audit entries in words: "Ada Admin revoked the share “Tax 2025” (Sophie Martin)".
import type { Schemas } from "./api/client";
import { t, type MessageKey } from "./messages";

type Entry = Schemas["AuditEntryOut"];

export const ENTITY_TYPES = ["customers", "vaults", "files", "shares", "users", "deliveries"] as const;
const NOUNS: Record<string, MessageKey> = {
  customers: "activity.noun.customers",
  vaults: "activity.noun.vaults",
  files: "activity.noun.files",
  shares: "activity.noun.shares",
  users: "activity.noun.users",
  deliveries: "activity.noun.deliveries",
  api_tokens: "activity.noun.api_tokens",
  maintenance_windows: "activity.noun.maintenance_windows",
};
const EVENTS: Record<string, MessageKey> = {
  login_failed: "activity.event.login_failed",
  password_changed: "activity.event.password_changed",
  password_check_failed: "activity.event.password_check_failed",
  recovery_code_failed: "activity.event.recovery_code_failed",
  integrity_failure: "activity.event.integrity_failure",
  read: "activity.event.read",
};
// Events that are things staff did to the entity: "Marc revoked the share ...".
const DEEDS: Record<string, MessageKey> = {
  revoked: "activity.deed.revoked",
  extended: "activity.deed.extended",
  code_resent: "activity.deed.code_resent",
  link_resent: "activity.deed.link_resent",
  reissued: "activity.deed.reissued",
  two_factor_reset: "activity.deed.two_factor_reset",
  password_reset_forced: "activity.deed.password_reset_forced",
};
const ACTIONS: Record<string, MessageKey> = {
  c: "activity.action.c",
  u: "activity.action.u",
  d: "activity.action.d",
  r: "activity.action.r",
};
const LABELS = ["name", "recipient_name", "email", "title"] as const;
const HIDDEN = new Set(["updated_at", "created_at", "security_stamp", "password_hash"]);

/** Names of things seen in these entries (their creation carries the name), for later ones. */
export function labelsOf(entries: Entry[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const entry of entries) {
    const label = labelOf(entry);
    if (label && entry.entity_id) labels.set(`${entry.entity_type}:${entry.entity_id}`, label);
  }
  return labels;
}

function labelOf(entry: Entry): string | null {
  for (const values of [entry.new_values, entry.old_values]) {
    for (const key of LABELS) {
      const value = values?.[key];
      if (typeof value === "string" && value) return value;
    }
  }
  return null;
}

/** Who did it: a known name, a numbered staff member, or nobody signed in. */
export function actorOf(entry: Entry, names: ReadonlyMap<number, string>): string {
  if (entry.changed_by === null) return t("activity.nobody");
  return names.get(entry.changed_by) ?? t("activity.user", { id: entry.changed_by });
}

/** One sentence for an audit entry. */
export function describeEntry(
  entry: Entry,
  names: ReadonlyMap<number, string>,
  labels: ReadonlyMap<string, string> = new Map(),
): string {
  const actor = actorOf(entry, names);
  const nounKey = NOUNS[entry.entity_type];
  const noun = nounKey ? t(nounKey) : entry.entity_type.replace(/_/g, " ");
  // A staff account is named like the people who act: by the names of the accounts.
  const account = entry.entity_type === "users" && entry.entity_id ? names.get(Number(entry.entity_id)) : undefined;
  const label = labelOf(entry) ?? labels.get(`${entry.entity_type}:${entry.entity_id}`) ?? account ?? null;
  const what = label ? t("activity.labelled", { noun, label }) : t("activity.numbered", { noun, id: entry.entity_id ?? "" }).trim();
  const deed = entry.event ? DEEDS[entry.event] : undefined;
  if (deed) return t("activity.sentence", { actor, verb: t(deed), what });
  const eventKey = entry.event ? EVENTS[entry.event] : undefined;
  if (entry.event && entry.event !== "read") {
    const event = eventKey ? t(eventKey) : entry.event.replace(/_/g, " ");
    return t("activity.sentence_event", { actor, event, what });
  }
  const actionKey = ACTIONS[entry.action];
  const verb = actionKey ? t(actionKey) : entry.action;
  let sentence = t("activity.sentence", { actor, verb, what });
  if (entry.action === "u" && entry.new_values) {
    const fields = Object.keys(entry.new_values).filter((key) => !HIDDEN.has(key));
    if (fields.length) sentence += ` ${t("activity.fields", { fields: fields.join(", ").replace(/_/g, " ") })}`;
  }
  return sentence;
}
