import { describe, expect, it } from "vitest";

import { describeEntry, labelsOf } from "./activity";

const base = {
  id: 1,
  entity_id: "7",
  changed_at: "2026-03-01T12:00:00",
  old_values: null,
  new_values: null,
  event: null,
  ip: null,
  user_agent: null,
  prev_hash: "",
  hash: "",
};
const names = new Map([[3, "Marc"]]);

describe("audit entries in words", () => {
  it("names who did what to which thing", () => {
    const created = { ...base, entity_type: "customers", action: "c", changed_by: 3, new_values: { name: "Sophie Martin" } };
    expect(describeEntry(created, names)).toBe("Marc created the customer “Sophie Martin”.");
    const revoked = {
      ...base,
      entity_type: "shares",
      action: "u",
      changed_by: 3,
      old_values: { recipient_name: "Sophie Martin" },
      new_values: { revoked_at: "2026-03-01", updated_at: "x" },
    };
    expect(describeEntry(revoked, names)).toBe("Marc changed the share “Sophie Martin”. Changed: revoked at.");
  });

  it("names a thing from its earlier entries", () => {
    const created = { ...base, entity_type: "shares", action: "c", changed_by: 3, new_values: { recipient_name: "Sophie Martin" } };
    const revoked = { ...base, id: 2, entity_type: "shares", action: "u", changed_by: 3, event: "revoked" };
    expect(describeEntry(revoked, names, labelsOf([revoked, created]))).toBe("Marc revoked the share “Sophie Martin”.");
    expect(describeEntry(revoked, names)).toBe("Marc revoked share #7.");
  });

  it("says what an admin did to an account", () => {
    const created = { ...base, entity_type: "users", action: "c", changed_by: 3, new_values: { name: "Sam" } };
    const reset = { ...base, id: 2, entity_type: "users", action: "u", changed_by: 3, event: "two_factor_reset" };
    const forced = { ...base, id: 3, entity_type: "users", action: "u", changed_by: 3, event: "password_reset_forced" };
    const labels = labelsOf([created]);
    expect(describeEntry(reset, names, labels)).toBe("Marc reset two-factor sign-in for the user “Sam”.");
    expect(describeEntry(forced, names, labels)).toBe("Marc forced a new password for the user “Sam”.");
    const account = { ...forced, entity_id: "3" };
    expect(describeEntry(account, names)).toBe("Marc forced a new password for the user “Marc”.");
  });

  it("says events and unknown people plainly", () => {
    const failed = { ...base, entity_type: "users", action: "u", changed_by: null, event: "login_failed", entity_id: "9" };
    expect(describeEntry(failed, names)).toBe("Nobody signed in: failed sign-in, user #9.");
    const read = { ...base, entity_type: "files", action: "r", changed_by: 4, event: "read", new_values: { name: "a.pdf" } };
    expect(describeEntry(read, names)).toBe("Staff member #4 opened the file “a.pdf”.");
  });
});
