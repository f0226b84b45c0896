import { render } from "preact";

import { App } from "./app";
import { chooseLanguage } from "./messages";
import "./style.css";

chooseLanguage(navigator.language);
const root = document.getElementById("app");
if (root) render(<App />, root);
