/** The dashboard's shell: hash routes to pages, the nav, and the token gate. */
import "./style.css";
import { token, whenUnauthorized } from "./api.js";
import { clear, errorBox, h } from "./dom.js";
import { loginPage } from "./pages/login.js";
import { modelsPage } from "./pages/models.js";
import { modelPage } from "./pages/model.js";
import { driftPage } from "./pages/drift.js";
import { slicesPage } from "./pages/slices.js";
import { fairnessPage } from "./pages/fairness.js";
import { classesPage } from "./pages/classes.js";
import { comparePage } from "./pages/compare.js";
import { alertsPage, digestPage } from "./pages/alerts.js";
import { sqlPage } from "./pages/sql.js";

export type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Promise<void> | void;

const ROUTES: Array<[RegExp, Page, string]> = [
  [/^\/login$/, loginPage, ""],
  [/^\/$/, modelsPage, "models"],
  [/^\/models\/(?<id>[^/]+)$/, modelPage, "models"],
  [/^\/models\/(?<id>[^/]+)\/drift$/, driftPage, "models"],
  [/^\/models\/(?<id>[^/]+)\/slices$/, slicesPage, "models"],
  [/^\/models\/(?<id>[^/]+)\/fairness$/, fairnessPage, "models"],
  [/^\/models\/(?<id>[^/]+)\/classes$/, classesPage, "models"],
  [/^\/models\/(?<id>[^/]+)\/compare$/, comparePage, "models"],
  [/^\/alerts$/, alertsPage, "alerts"],
  [/^\/alerts\/digest$/, digestPage, "alerts"],
  [/^\/sql$/, sqlPage, "sql"],
];

const app = document.getElementById("app")!;
const nav = document.getElementById("nav")!;
const signout = document.getElementById("signout") as HTMLButtonElement;

function currentHash(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(qs ?? "") };
}

whenUnauthorized(() => {
  const { path } = currentHash();
  if (path !== "/login") location.hash = `#/login?next=${encodeURIComponent(location.hash.replace(/^#/, "") || "/")}`;
});

signout.addEventListener("click", () => {
  token.clear();
  location.hash = "#/login";
});

async function route(): Promise<void> {
  const { path, query } = currentHash();
  if (!token.get() && path !== "/login") {
    location.hash = `#/login?next=${encodeURIComponent(path)}`;
    return;
  }
  const match = ROUTES.map(([re, page, section]) => ({ m: re.exec(path), page, section })).find((r) => r.m);
  signout.hidden = !token.get();
  clear(
    nav,
    ...(token.get()
      ? [
          ["models", "#/", "Models"],
          ["alerts", "#/alerts", "Alerts"],
          ["sql", "#/sql", "SQL"],
        ].map(([key, href, text]) => h("a", { href: href!, class: match?.section === key ? "active" : "" }, text!))
      : []),
  );
  // Each page draws into its own element: a page still loading when the user moves on writes
  // into a detached element instead of over the next page.
  const root = h("div", { class: "page" });
  clear(app, root);
  if (!match) {
    clear(root, errorBox(`No page at ${path}.`));
    return;
  }
  const params = Object.fromEntries(Object.entries(match.m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  try {
    await match.page(root, params, query);
  } catch (err) {
    root.append(errorBox((err as Error).message));
  }
}

window.addEventListener("hashchange", () => void route());
void route();
