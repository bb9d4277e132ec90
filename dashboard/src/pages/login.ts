/** The token form: entered once, kept in sessionStorage for the tab's life. */
import { api, ApiError, token } from "../api.js";
import { errorBox, h } from "../dom.js";

export function loginPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): void {
  const input = h("input", {
    type: "password",
    name: "token",
    id: "token",
    autocomplete: "current-password",
    placeholder: "token with the read scope",
    required: true,
  });
  const message = h("div", {});
  const form = h(
    "form",
    { class: "card login" },
    h("h2", {}, "Sign in"),
    h(
      "p",
      { class: "muted" },
      "Paste an API token (HINDSIGHT_TOKENS, or the development token `hindsight up` printed). It stays in this browser tab only.",
    ),
    h("label", { for: "token" }, "Token"),
    input,
    h("button", { type: "submit", class: "primary" }, "Open the dashboard"),
    message,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    token.set(input.value.trim());
    try {
      await api.get("/v1/models");
      location.hash = `#${query.get("next") || "/"}`;
    } catch (err) {
      token.clear();
      message.replaceChildren(
        errorBox(err instanceof ApiError && err.status === 401 ? "That token is not known to this gateway." : (err as Error).message),
      );
    }
  });
  root.append(form);
  input.focus();
}
