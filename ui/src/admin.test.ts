import { describe, expect, it } from "vitest";

import { formatAge, localHoursAhead, localToIso, userState } from "./admin";

const user = {
  id: 2,
  name: "Sam",
  email: "sam@example.org",
  role: "staff" as const,
  two_factor_enabled: true,
  must_change_password: false,
  failed_logins: 0,
  locked_until: null,
  last_login_at: "2026-03-01T10:00:00",
  deleted_at: null,
  created_at: "2026-02-01T10:00:00",
};
const now = new Date("2026-03-02T12:00:00Z");

describe("admin pages", () => {
  it("says the state of an account, disabled before locked before invited", () => {
    expect(userState(user, now)).toBe("users.state_active");
    expect(userState({ ...user, last_login_at: null }, now)).toBe("users.state_invited");
    expect(userState({ ...user, locked_until: "2026-03-02T12:10:00Z" }, now)).toBe("users.state_locked");
    expect(userState({ ...user, locked_until: "2026-03-02T11:50:00Z" }, now)).toBe("users.state_active");
    expect(userState({ ...user, deleted_at: "2026-03-01T00:00:00", locked_until: "2026-03-03T00:00:00Z" }, now)).toBe(
      "users.state_disabled",
    );
  });

  it("sends the viewer's local time as an instant, and nothing for what is not a time", () => {
    const local = "2026-12-02T09:30";
    expect(localToIso(local)).toBe(new Date(2026, 11, 2, 9, 30).toISOString());
    expect(localToIso("")).toBe("");
    expect(localToIso("tomorrow")).toBe("");
  });

  it("proposes a start on the hour, far enough ahead", () => {
    const start = new Date(2026, 2, 2, 12, 40);
    expect(localHoursAhead(48, start)).toBe("2026-03-04T12:00");
    expect(localHoursAhead(1, new Date(2026, 11, 31, 23, 5))).toBe("2027-01-01T00:00");
  });

  it("says an age in the largest whole unit", () => {
    expect(formatAge(0, "en")).toBe("0 seconds");
    expect(formatAge(45, "en")).toBe("45 seconds");
    expect(formatAge(200, "en")).toBe("3 minutes");
    expect(formatAge(7300, "en")).toBe("2 hours");
    expect(formatAge(200_000, "en")).toBe("2 days");
    expect(formatAge(3600, "en")).toBe("1 hour");
  });
});
