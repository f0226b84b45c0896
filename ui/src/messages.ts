// The console's words, one catalogue per language (English first).
const en = {
  "app.name": "VAULT03",
  "app.loading": "Loading…",
  "app.skip": "Skip to the content",
  "nav.home": "Home",
  "nav.customers": "Customers",
  "nav.account": "Your account",
  "nav.sign_out": "Sign out",
  "nav.main": "Main",
  "error.network": "The server could not be reached. Check the connection and try again.",
  "error.unexpected": "Something went wrong on the server. Try again in a moment.",
  "error.invalid": "This value is not valid.",
  "error.check_fields": "Some fields need attention.",
  "signin.title": "Sign in",
  "signin.email": "Email",
  "signin.password": "Password",
  "signin.submit": "Sign in",
  "signin.expired": "Your session has ended. Sign in again to continue.",
  "signin.forgot": "Forgot your password?",
  "forgot.title": "Reset your password",
  "forgot.intro": "Enter your email: if it belongs to an account, a link to choose a new password is on its way.",
  "forgot.submit": "Send the link",
  "forgot.sent": "If the account exists, a reset link is on its way. Check your email.",
  "forgot.back": "Back to sign in",
  "second.title": "Second factor",
  "second.intro": "Enter the 6-digit code from your authenticator app.",
  "second.code": "Code from the app",
  "second.submit": "Continue",
  "second.use_recovery": "Use a recovery code instead",
  "second.recovery_title": "Recovery code",
  "second.recovery_intro": "Enter one of the recovery codes you saved when you set up the app. Each works once.",
  "second.recovery": "Recovery code",
  "second.use_app": "Use the authenticator app instead",
  "enrol.title": "Set up two-factor sign-in",
  "enrol.intro": "Scan this QR code with an authenticator app (for example FreeOTP, Aegis or Google Authenticator), then enter the code it shows.",
  "enrol.qr": "QR code for the authenticator app",
  "enrol.manual": "Cannot scan? Enter this key by hand:",
  "enrol.code": "Code from the app",
  "enrol.submit": "Turn on two-factor sign-in",
  "enrol.codes_title": "Save your recovery codes",
  "enrol.codes_intro": "Each code lets you sign in once without the app. Store them somewhere safe: they are shown only now.",
  "enrol.done": "I have saved them, continue",
  "setpw.title": "Choose your password",
  "setpw.intro": "Choose a password for VAULT03. Use at least 12 characters; a long phrase is best.",
  "setpw.password": "New password",
  "setpw.repeat": "Repeat the new password",
  "setpw.submit": "Save the password",
  "setpw.mismatch": "The two passwords are not the same.",
  "setpw.no_token": "This link is incomplete. Open the link from the email again, or ask for a new one.",
  "setpw.done": "Your password is saved. You can sign in now.",
  "setpw.sign_in": "Go to sign in",
  "account.title": "Your account",
  "account.forced": "You must choose a new password before you continue.",
  "account.change_title": "Change your password",
  "account.current": "Current password",
  "account.new": "New password",
  "account.repeat": "Repeat the new password",
  "account.submit": "Change the password",
  "account.changed": "Your password is changed. Your other sessions have ended.",
  "account.signed_in_as": "Signed in as {name} ({email}), role: {role}.",
  "home.title": "Welcome, {name}",
  "home.intro": "Choose what to do from the menu.",
  "nav.users": "Users",
  "role.admin": "Administrator",
  "role.staff": "Staff",
  "role.auditor": "Auditor",
  "users.title": "Users",
  "users.name": "Name",
  "users.email": "Email",
  "users.role": "Role",
  "users.two_factor": "Two-factor sign-in",
  "users.state": "State",
  "users.state_active": "Active",
  "users.state_invited": "Invited, not signed in yet",
  "users.state_locked": "Locked after failed sign-ins",
  "users.state_disabled": "Disabled",
  "users.yes": "On",
  "users.no": "Not set up",
  "users.invite_title": "Invite a colleague",
  "users.invite_submit": "Send the invitation",
  "users.invited": "An invitation is on its way to {email}.",
  "notfound.title": "Page not found",
  "notfound.back": "Go to the home page",
} as const;

export type MessageKey = keyof typeof en;
const catalogues: Record<string, Record<MessageKey, string>> = { en };

let catalogue: Record<MessageKey, string> = en;

/** Pick the catalogue for a language tag ("fr-CH" falls back to "fr", then English). */
export function useLanguage(tag: string): void {
  const base = tag.toLowerCase().split("-")[0] ?? "en";
  catalogue = catalogues[tag.toLowerCase()] ?? catalogues[base] ?? en;
}

/** A message of the catalogue with its {placeholders} filled in. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
