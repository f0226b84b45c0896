import { render } from "preact";

import { App } from "./app";
import { useLanguage } from "./messages";
import "./style.css";

useLanguage(navigator.language);
const root = document.getElementById("app");
if (root) render(<App />, root);
