import { describe, expect, it } from "vitest";

import openapi from "../openapi.json";
import { WORDED_EVENTS, WORDED_KINDS, describeDelivery, describeEntry } from "./activity";
import type { Schemas } from "./api/client";

type Entry = Schemas["AuditEntryOut"];

const base: Entry = {
  id: 1,
  entity_type: "customers",
  entity_id: "7",
  action: "c",
  changed_by: null,
  changed_at: "2026-03-01T12:00:00",
  old_values: null,
  new_values: null,
  event: null,
  ip: null,
  user_agent: null,
  prev_hash: "",
  hash: "",
  actor: null,
  actor_kind: "system",
  subject: null,
  recipient: null,
};
const marc = { changed_by: 3, actor: "Marc", actor_kind: "staff" as const };
const sophie = { actor: "Sophie Martin", actor_kind: "recipient" as const, recipient: "Sophie Martin" };

describe("audit entries in words", () => {
  it("names who did what to which thing", () => {
    expect(describeEntry({ ...base, ...marc, subject: "Sophie Martin" })).toBe("Marc created the customer “Sophie Martin”.");
    const edited = { ...base, ...marc, action: "u", subject: "Sophie Martin", new_values: { email: "s@x.org", updated_at: "x" } };
    expect(describeEntry(edited)).toBe("Marc changed the customer “Sophie Martin”. Changed: email.");
    const deleted = { ...base, ...marc, entity_type: "vaults", action: "u", subject: "Tax 2025", new_values: { deleted_at: "2026-03-01" } };
    expect(describeEntry(deleted)).toBe("Marc deleted the vault “Tax 2025”.");
    expect(describeEntry({ ...base, changed_by: 4 })).toBe("Staff member #4 created customer #7.");
  });

  it("tells what staff did to a share with its vault and recipient", () => {
    const share = { ...base, ...marc, entity_type: "shares", subject: "Tax return 2025", recipient: "Sophie Martin" };
    expect(describeEntry(share)).toBe("Marc shared “Tax return 2025” with Sophie Martin.");
    expect(describeEntry({ ...share, action: "u", event: "revoked" })).toBe("Marc revoked the share of “Tax return 2025” for Sophie Martin.");
    expect(describeEntry({ ...share, action: "u", event: "code_resent" })).toBe("Marc sent Sophie Martin a new access code for “Tax return 2025”.");
    expect(describeEntry({ ...share, action: "u", event: "extended" })).toBe("Marc extended the share of “Tax return 2025” for Sophie Martin.");
  });

  it("names the recipient for what happened through the link, never nobody", () => {
    const visit = { ...base, ...sophie, entity_type: "share_access", subject: "Tax return 2025.pdf" };
    const line = (event: string, outcome = "ok") => ({ ...visit, new_values: { event, outcome, share_id: 2 } });
    expect(describeEntry(line("download"))).toBe("Sophie Martin downloaded “Tax return 2025.pdf”.");
    expect(describeEntry(line("upload"))).toBe("Sophie Martin sent “Tax return 2025.pdf”.");
    expect(describeEntry(line("view"))).toBe("Sophie Martin opened the link.");
    expect(describeEntry(line("code"))).toBe("Sophie Martin entered the access code.");
    expect(describeEntry(line("code", "wrong_code"))).toBe("Sophie Martin entered a wrong access code.");
    expect(describeEntry(line("download", "limit_reached"))).toBe("Sophie Martin downloaded “Tax return 2025.pdf”: refused (limit reached).");
    const sent = { ...base, ...sophie, entity_type: "files", subject: "signed.pdf" };
    expect(describeEntry(sent)).toBe("Sophie Martin sent “signed.pdf”.");
    expect(describeEntry({ ...sent, ...marc })).toBe("Marc uploaded “signed.pdf”.");
    expect(describeEntry({ ...sent, action: "r", event: "read" })).toBe("Sophie Martin downloaded “signed.pdf”.");
  });

  it("says sessions as signing in and out, not as created rows", () => {
    const session = { ...base, entity_type: "sessions", entity_id: "0b6c3a50-5d2e-4f61-a0a1-1f4b7c0f9e11", actor: "Marc", actor_kind: "staff" as const };
    expect(describeEntry({ ...session, new_values: { stage: "full", user_id: 3 } })).toBe("Marc signed in.");
    expect(describeEntry({ ...session, action: "u", new_values: { stage: "full" } })).toBe("Marc signed in.");
    expect(describeEntry({ ...session, action: "u", event: "logout", new_values: { expires_at: "x" } })).toBe("Marc signed out.");
    const step = describeEntry({ ...session, new_values: { stage: "totp", user_id: 3 } });
    expect(step).toBe("Marc entered their password; the second factor was next.");
    expect(step).not.toContain(session.entity_id);
  });

  it("says what an admin did to an account", () => {
    const account = { ...base, ...marc, entity_type: "users", action: "u", entity_id: "5", subject: "Sam" };
    expect(describeEntry({ ...account, event: "two_factor_reset" })).toBe("Marc reset two-factor sign-in for the user “Sam”.");
    expect(describeEntry({ ...account, event: "password_reset_forced" })).toBe("Marc forced a new password for the user “Sam”.");
  });

  it("says events without an actor plainly", () => {
    const failed = { ...base, entity_type: "users", action: "u", event: "login_failed", entity_id: "9", subject: "Marc" };
    expect(describeEntry(failed)).toBe("Failed sign-in: the user “Marc”.");
    const system = { ...base, entity_type: "vaults", action: "u", subject: "Tax", new_values: { purged_at: "x" } };
    expect(describeEntry(system)).toBe("The system changed the vault “Tax”. Changed: purged at.");
  });
});

describe("share messages in words", () => {
  it("says what went how to whom and where it stands", () => {
    const delivery = {
      id: "d1",
      share_id: 2,
      purpose: "link",
      channel: "email",
      kind: "share_link",
      recipient: "sophie@example.org",
      status: "delivered",
      attempts: 1,
      last_error: null,
      created_at: "2026-03-01T12:00:00",
      updated_at: "2026-03-01T12:00:05",
    };
    expect(describeDelivery(delivery)).toBe("The link went by email to sophie@example.org: Delivered.");
    const code = { ...delivery, purpose: "code", channel: "sms", recipient: "+33612345678", status: "failed", last_error: "invalid number" };
    expect(describeDelivery(code)).toBe("The access code went by text message to +33612345678: Failed. (invalid number)");
    const reminder = { ...delivery, purpose: "reminder", kind: "share_reminder", status: "sent" };
    expect(describeDelivery(reminder)).toBe("A reminder went by email to sophie@example.org: Sent.");
  });
});

describe("reminders in words", () => {
  const sent = {
    ...base,
    entity_type: "share_reminders",
    entity_id: "3",
    subject: "Tax return 2025",
    recipient: "Sophie Martin",
    event: "reminder_sent",
    new_values: { share_id: 2, kind: "recipient", sent_to: "sophie@example.org" },
  };

  it("says who was reminded of what, sent by the system", () => {
    expect(describeEntry(sent)).toBe("Reminder sent to Sophie Martin for “Tax return 2025”.");
    const warned = { ...sent, event: "expiry_warning_sent", new_values: { share_id: 2, kind: "expiry", sent_to: "marc@office.example" } };
    expect(describeEntry(warned)).toBe("marc@office.example was told that the share of “Tax return 2025” for Sophie Martin expires soon.");
  });
});

// The API publishes every audit event and kind it can write as the enums of GET /api/audit's
// filters (its mypy holds every writer to them): each needs words here, or the activity view
// would show a code such as "expiry_warning_sent".
function auditEnum(name: string): string[] {
  const parameters = openapi.paths["/api/audit"].get.parameters as { name: string; schema: { anyOf?: { enum?: string[] }[] } }[];
  const schema = parameters.find((parameter) => parameter.name === name)?.schema;
  return schema?.anyOf?.find((option) => option.enum)?.enum ?? [];
}

describe("every audit entry the API can write has words", () => {
  it("has words for each event", () => {
    const events = auditEnum("event");
    expect(events).toContain("reminder_sent");
    expect(events.filter((event) => !WORDED_EVENTS.has(event))).toEqual([]);
  });

  it("has a noun for each kind of thing", () => {
    const kinds = auditEnum("entity_type");
    expect(kinds).toContain("share_reminders");
    expect(kinds.filter((kind) => !WORDED_KINDS.has(kind))).toEqual([]);
  });
});
