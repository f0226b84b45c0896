// Fails when the committed generated client differs from one generated now (api:check).
import { readFileSync, rmSync } from "node:fs";

const [committed, fresh] = process.argv.slice(2);
const same = readFileSync(committed, "utf8") === readFileSync(fresh, "utf8");
rmSync(fresh);
if (!same) {
  console.error(`${committed} is out of date with openapi.json: run \`make ui-client\``);
  process.exit(1);
}
