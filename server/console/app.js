// The reviewer console's shell: sign-in with an API token, the page router, and the keyboard
// shortcuts. Views live in inbox.js and audit.js and only talk to Vigil through rpc.js.
import { recordView, sessionView } from "./audit-record.js";
import { auditView } from "./audit-search.js";
import { describeFailure, h, isTyping, replace } from "./dom.js";
import { inboxView } from "./inbox.js";
import { createRpcClient } from "./rpc.js";

/**
 * What every view gets.
 * @typedef {object} ConsoleContext
 * @property {ReturnType<typeof createRpcClient>} rpc
 * @property {() => boolean} signedIn
 * @property {(href: string, options?: { focusId?: string }) => void} navigate
 */

// Kept for this tab only: closing the tab signs the reviewer out.
const tokenKey = "vigil.console.token";

const main = /** @type {HTMLElement} */ (document.getElementById("view"));
const account = /** @type {HTMLElement} */ (document.getElementById("account"));
const help = /** @type {HTMLDialogElement} */ (document.getElementById("shortcuts"));

/** @type {ConsoleContext} */
const ctx = {
  rpc: createRpcClient({ token: () => sessionStorage.getItem(tokenKey) ?? undefined }),
  signedIn: () => sessionStorage.getItem(tokenKey) !== null,
  navigate(href, options = {}) {
    history.pushState(null, "", href);
    render(options.focusId);
  },
};

/** @type {{ dispose(): void } | undefined} */
let current;

/**
 * Shows the view for the current address.
 * @param {string} [focusId] the row to focus after the view is shown
 * @param {boolean} [initial] the first render of the page
 */
function render(focusId, initial = false) {
  current?.dispose();
  const route = routeOf(location.pathname, new URLSearchParams(location.search));
  current = route;
  replace(main, route.element);
  document.title = `${route.title} · Vigil console`;
  for (const a of document.querySelectorAll("header nav a")) {
    const section = a.getAttribute("href") === "/console/audit" ? "audit" : "inbox";
    a.toggleAttribute("aria-current", section === route.section);
  }
  // After an in-page navigation, focus moves to the new page (or the chosen row) as a screen
  // reader expects; the first load leaves focus at the top so Tab starts from the header.
  if (initial) return;
  const target = focusId
    ? main.querySelector(`[data-id="${CSS.escape(focusId)}"]`)
    : main.querySelector("h1");
  if (target instanceof HTMLElement) {
    if (!focusId) target.tabIndex = -1;
    target.focus({ preventScroll: !focusId });
  }
}

/**
 * @param {string} path
 * @param {URLSearchParams} query
 */
function routeOf(path, query) {
  const parts = path
    .replace(/^\/console\/?/, "")
    .split("/")
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0) return { section: "inbox", ...inboxView(ctx, { query }) };
  if (first === "approvals" && second && parts.length === 2) {
    return { section: "inbox", ...inboxView(ctx, { approvalId: second, query }) };
  }
  if (first === "audit" && parts.length === 1)
    return { section: "audit", ...auditView(ctx, { query }) };
  if (first === "audit" && second === "records" && third) {
    return { section: "audit", ...recordView(ctx, { recordId: third }) };
  }
  if (first === "audit" && second === "sessions" && third) {
    return { section: "audit", ...sessionView(ctx, { sessionId: third }) };
  }
  return {
    section: "",
    title: "Not found",
    element: h(
      "div",
      {},
      h("h1", {}, "Page not found"),
      h("p", {}, "Go to the ", h("a", { href: "/console/", "data-route": true }, "inbox"), "."),
    ),
    dispose() {},
  };
}

/** The sign-in form, or who is signed in and a sign-out button. */
function renderAccount() {
  if (ctx.signedIn()) {
    replace(
      account,
      h("span", { class: "who" }, "Signed in with a token"),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onClick: () => {
            sessionStorage.removeItem(tokenKey);
            renderAccount();
            render();
          },
        },
        "Sign out",
      ),
    );
    return;
  }
  const input = h("input", {
    id: "token",
    type: "password",
    name: "token",
    placeholder: "vgl_…",
    autocomplete: "off",
    required: true,
  });
  const error = h("span", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "signin", "aria-label": "Sign in" },
    h("label", { for: "token" }, "API token"),
    input,
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    // The token is checked against the server before it is kept: a typo shows here, not later.
    sessionStorage.setItem(tokenKey, token);
    try {
      await ctx.rpc.unary("vigil.v1.ApprovalService/ListApprovals", { pageSize: 1 });
      renderAccount();
      render();
    } catch (failure) {
      sessionStorage.removeItem(tokenKey);
      replace(error, describeFailure(failure));
      input.focus();
    }
  });
  replace(account, form);
}

document.addEventListener("click", (event) => {
  const a = event.target instanceof Element ? event.target.closest("a[data-route]") : null;
  if (!a || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  ctx.navigate(a.getAttribute("href") ?? "/console/", {
    focusId: a instanceof HTMLElement ? a.dataset.id : undefined,
  });
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  if (event.key === "?") {
    event.preventDefault();
    help.open ? help.close() : help.showModal();
  } else if (event.key === "/") {
    const search = main.querySelector("input[type=search]");
    if (search instanceof HTMLElement) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === "g") {
    // "g i" goes to the inbox, "g a" to the audit trail.
    const next = (/** @type {KeyboardEvent} */ second) => {
      if (second.key === "i") ctx.navigate("/console/");
      if (second.key === "a") ctx.navigate("/console/audit");
    };
    document.addEventListener("keydown", next, { once: true });
  }
});

window.addEventListener("popstate", () => render());
document.getElementById("help-button")?.addEventListener("click", () => help.showModal());
help.querySelector("button")?.addEventListener("click", () => help.close());

renderAccount();
render(undefined, true);
