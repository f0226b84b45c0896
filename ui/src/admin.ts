// The admin pages' logic that is not layout: a user's state, times a form sends, ages in words.
import type { Schemas } from "./api/client";
import type { MessageKey } from "./messages";

type User = Schemas["AdminUserOut"];

/** What a person reads about an account: disabled, locked, invited (never signed in), active. */
export function userState(user: User, now: Date = new Date()): MessageKey {
  if (user.deleted_at) return "users.state_disabled";
  if (user.locked_until && new Date(user.locked_until) > now) return "users.state_locked";
  if (!user.last_login_at) return "users.state_invited";
  return "users.state_active";
}

/** A datetime-local field's value (the viewer's time) as the API wants it, or "" when it is
 * not a time, so that the server names the field. */
export function localToIso(value: string): string {
  const moment = new Date(value);
  return value && !Number.isNaN(moment.getTime()) ? moment.toISOString() : "";
}

/** A datetime-local value for `hours` from `now`, on the hour (the schedule form's default). */
export function localHoursAhead(hours: number, now: Date = new Date()): string {
  const moment = new Date(now.getTime() + hours * 3_600_000);
  moment.setMinutes(0, 0, 0);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}

/** 45 -> "45 seconds", 200 -> "3 minutes", 7300 -> "2 hours", 200000 -> "2 days". */
export function formatAge(seconds: number, locale?: string): string {
  const steps: [Intl.NumberFormatOptions["unit"], number][] = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  const [unit, size] = steps.find(([, length]) => seconds >= length) ?? ["second", 1];
  const count = Math.floor(seconds / size);
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(count);
}
