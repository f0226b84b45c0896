// `pnpm lint`: typescript-eslint's type-aware strict and stylistic rules, jsx-a11y for the
// accessibility of what the JSX renders, and the two Rules of Hooks that hold for
// preact/hooks (ui/README.md says why these).
import js from "@eslint/js";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Generated, never edited by hand: the API client's types and the build.
  globalIgnores(["dist/", "src/api/schema.d.ts", ".schema-check.d.ts"]),
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A number in a sentence is what the console shows everywhere (`${count} files`).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `onClick={() => setOpen(false)}`: an event handler's shorthand returns nothing used.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    ...jsxA11y.flatConfigs.strict,
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      // useLoad(load, keys) and useOlderPages(load, keys) take their dependencies as
      // useEffect does: checked at each call.
      "react-hooks/exhaustive-deps": ["error", { additionalHooks: "^(useLoad|useOlderPages)$" }],
    },
  },
  {
    // Node scripts no tsconfig includes: linted without type information.
    files: ["**/*.{js,mjs}"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
