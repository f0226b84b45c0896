// Audit entries and share messages in words: "Marc revoked the share of “Tax 2025” for Sophie
// Martin.", "Sophie Martin downloaded “Tax return 2025.pdf”." The server names the people and
// things (actor, subject, recipient); this file only chooses the sentence.
import type { Schemas } from "./api/client";
import { t, type MessageKey } from "./messages";

type Entry = Schemas["AuditEntryOut"];
type Delivery = Schemas["TimelineDelivery"];
type Values = Record<string, unknown>;

export const ENTITY_TYPES = ["customers", "vaults", "files", "shares", "share_access", "users", "sessions"] as const;
const NOUNS: Record<string, MessageKey> = {
  customers: "activity.noun.customers",
  vaults: "activity.noun.vaults",
  files: "activity.noun.files",
  shares: "activity.noun.shares",
  share_access: "activity.noun.share_access",
  sessions: "activity.noun.sessions",
  users: "activity.noun.users",
  api_tokens: "activity.noun.api_tokens",
  maintenance_windows: "activity.noun.maintenance_windows",
  share_reminders: "activity.noun.share_reminders",
  share_files: "activity.noun.share_files",
  portal_sessions: "activity.noun.portal_sessions",
  recovery_codes: "activity.noun.recovery_codes",
  user_tokens: "activity.noun.user_tokens",
  deliveries: "activity.noun.deliveries",
  master_keys: "activity.noun.master_keys",
  key_rotations: "activity.noun.key_rotations",
};
const EVENTS: Record<string, MessageKey> = {
  login_failed: "activity.event.login_failed",
  password_changed: "activity.event.password_changed",
  password_check_failed: "activity.event.password_check_failed",
  recovery_code_failed: "activity.event.recovery_code_failed",
  recovery_code_used: "activity.event.recovery_code_used",
  totp_enrolled: "activity.event.totp_enrolled",
  version_restored: "activity.event.version_restored",
  integrity_failure: "activity.event.integrity_failure",
  totp_failed: "activity.event.totp_failed",
  totp_replay: "activity.event.totp_replay",
  login_step_done: "activity.event.login_step_done",
  password_rehashed: "activity.event.password_rehashed",
  invitation: "activity.event.invitation",
  password_reset: "activity.event.password_reset",
  brevo_webhook: "activity.event.brevo_webhook",
  postal_webhook: "activity.event.postal_webhook",
};
// What an admin does to an account: "Ada reset two-factor sign-in for the user “Sam”."
const DEEDS: Record<string, MessageKey> = {
  two_factor_reset: "activity.deed.two_factor_reset",
  password_reset_forced: "activity.deed.password_reset_forced",
};
// What staff do to a share, each said with its vault and recipient.
const SHARE_DEEDS: Record<string, MessageKey> = {
  revoked: "activity.share.revoked",
  extended: "activity.share.extended",
  code_resent: "activity.share.code_resent",
  link_resent: "activity.share.link_resent",
  reissued: "activity.share.reissued",
};
// What the system sends by itself about a share: "Reminder sent to Sophie Martin for “Tax 2025”."
const REMINDERS: Record<string, MessageKey> = {
  reminder_sent: "activity.reminder.sent",
  expiry_warning_sent: "activity.reminder.expiry_warning",
};
/** Every audit event with words of its own here ("read" and "logout" are said by their kind). */
export const WORDED_EVENTS: ReadonlySet<string> = new Set([
  ...Object.keys(EVENTS),
  ...Object.keys(DEEDS),
  ...Object.keys(SHARE_DEEDS),
  ...Object.keys(REMINDERS),
  "read",
  "logout",
]);
/** Every kind of thing with a noun. */
export const WORDED_KINDS: ReadonlySet<string> = new Set(Object.keys(NOUNS));
// What a recipient does through the link (the share's access log), when it went through.
const VISITS: Record<string, MessageKey> = {
  view: "activity.visit.view",
  code: "activity.visit.code",
  download: "activity.visit.download",
  upload: "activity.visit.upload",
  logout: "activity.visit.logout",
};
const ACTIONS: Record<string, MessageKey> = {
  c: "activity.action.c",
  u: "activity.action.u",
  d: "activity.action.d",
  r: "activity.action.r",
};
const HIDDEN = new Set(["updated_at", "created_at", "security_stamp", "password_hash"]);
const CHANNELS = new Set(["sms", "email", "postal"]);
const DELIVERY_STATES = new Set(["queued", "published", "retrying", "sent", "delivered", "failed", "dead"]);

function value(entry: Entry, key: string): unknown {
  const fresh: Values = entry.new_values ?? {};
  const old: Values = entry.old_values ?? {};
  return key in fresh ? fresh[key] : old[key];
}

/** A value that is a word (a visit's event or outcome), or `otherwise`. */
function word(entry: Entry, key: string, otherwise: string): string {
  const found = value(entry, key);
  return typeof found === "string" ? found : otherwise;
}

function words(code: string): string {
  return code.replace(/_/g, " ");
}

/** Who did it: the name the server found, else a numbered staff member, else the system. */
export function actorOf(entry: Entry): string {
  if (entry.actor) return entry.actor;
  return entry.changed_by === null ? t("activity.system") : t("activity.user", { id: entry.changed_by });
}

function thing(entry: Entry): string {
  const nounKey = NOUNS[entry.entity_type];
  const noun = nounKey ? t(nounKey) : words(entry.entity_type);
  return entry.subject ? t("activity.labelled", { noun, label: entry.subject }) : t("activity.numbered", { noun, id: entry.entity_id ?? "" }).trim();
}

function changedFields(entry: Entry): string {
  const fields = Object.keys(entry.new_values ?? {}).filter((key) => !HIDDEN.has(key));
  return fields.length ? ` ${t("activity.fields", { fields: words(fields.join(", ")) })}` : "";
}

function visit(entry: Entry, actor: string): string {
  const event = word(entry, "event", "");
  const outcome = word(entry, "outcome", "ok");
  const file = entry.subject ?? "";
  const key = VISITS[event];
  if (!key) return t("activity.visit.other", { actor, event: words(event), outcome: words(outcome) });
  if (outcome === "ok") return t(key, { actor, file });
  if (event === "code" && outcome === "wrong_code") return t("activity.visit.wrong_code", { actor });
  return t("activity.visit.refused", { sentence: t(key, { actor, file }).replace(/\.$/, ""), outcome: words(outcome) });
}

function share(entry: Entry, actor: string): string {
  const values = { actor, vault: entry.subject ?? t("activity.a_vault"), recipient: entry.recipient ?? t("activity.a_recipient") };
  const deed = entry.event ? SHARE_DEEDS[entry.event] : undefined;
  if (deed) return t(deed, values);
  if (entry.action === "c") return t("activity.share.created", values);
  if (entry.action === "u" && entry.new_values?.locked_until) return t("activity.share.locked", values);
  return t("activity.share.changed", values) + changedFields(entry);
}

function file(entry: Entry, actor: string): string | null {
  const name = entry.subject ?? t("activity.a_file");
  if (entry.event === "read") return t("activity.file.read", { actor, name });
  if (entry.action === "c") return t(entry.actor_kind === "recipient" ? "activity.file.sent" : "activity.file.uploaded", { actor, name });
  if (entry.action === "u" && entry.new_values?.deleted_at) return t("activity.file.deleted", { actor, name });
  return null;
}

function session(entry: Entry, actor: string): string | null {
  if (entry.event === "logout") return t("activity.session.out", { actor });
  if (value(entry, "stage") === "full" && entry.action !== "d") return t("activity.session.in", { actor });
  if (entry.action === "d") return t("activity.session.ended", { actor });
  const stage = value(entry, "stage");
  if (stage === "totp" || stage === "password" || stage === "enrol") return t(`activity.session.${stage}`, { actor });
  return null;
}

function reminder(entry: Entry): string {
  const key = (entry.event ? REMINDERS[entry.event] : undefined) ?? "activity.reminder.sent";
  const sentTo = value(entry, "sent_to");
  const to = typeof sentTo === "string" ? sentTo : "";
  return t(key, { vault: entry.subject ?? t("activity.a_vault"), recipient: entry.recipient ?? t("activity.a_recipient"), to });
}

/** One sentence for an audit entry. */
export function describeEntry(entry: Entry): string {
  const actor = actorOf(entry);
  if (entry.entity_type === "share_reminders") return reminder(entry);
  if (entry.entity_type === "share_access") return visit(entry, actor);
  if (entry.entity_type === "shares") return share(entry, actor);
  const special = entry.entity_type === "files" ? file(entry, actor) : entry.entity_type === "sessions" ? session(entry, actor) : null;
  if (special) return special;
  const what = thing(entry);
  const deed = entry.event ? DEEDS[entry.event] : undefined;
  if (deed) return t("activity.sentence", { actor, verb: t(deed), what });
  const eventKey = entry.event ? EVENTS[entry.event] : undefined;
  if (entry.event && entry.event !== "read") {
    const event = eventKey ? t(eventKey) : words(entry.event);
    if (entry.actor === null && entry.changed_by === null) return t("activity.sentence_unsigned", { event, what });
    return t("activity.sentence_event", { actor, event, what });
  }
  if (entry.action === "u" && entry.new_values?.deleted_at) return t("activity.sentence", { actor, verb: t("activity.action.d"), what });
  const actionKey = ACTIONS[entry.action];
  const verb = actionKey ? t(actionKey) : entry.action;
  const sentence = t("activity.sentence", { actor, verb, what });
  return entry.action === "u" ? sentence + changedFields(entry) : sentence;
}

/** One sentence for a message sent for a share: what, how, to whom, and where it stands. */
export function describeDelivery(delivery: Delivery): string {
  const how = CHANNELS.has(delivery.channel) ? t(`activity.by.${delivery.channel}` as MessageKey) : words(delivery.channel);
  const status = DELIVERY_STATES.has(delivery.status) ? t(`delivery.${delivery.status}` as MessageKey) : words(delivery.status);
  const key: MessageKey =
    delivery.purpose === "code" ? "activity.delivery.code" : delivery.purpose === "reminder" ? "activity.delivery.reminder" : "activity.delivery.link";
  const sentence = t(key, { how, to: delivery.recipient, status });
  return delivery.last_error ? `${sentence} ${t("activity.delivery.error", { error: delivery.last_error })}` : sentence;
}
