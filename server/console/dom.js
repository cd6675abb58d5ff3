// DOM building and display formatting shared by the console's views. Every value from the
// server is set as text, never parsed as HTML: previews and records quote untrusted content.

/**
 * Creates an element. `props` sets attributes, `on<Event>` listeners, and `class`; children are
 * nodes or strings (added as text), and null / false children are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {HTMLElement} el @param {any[]} children */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 * @param {HTMLElement} el
 * @param {...any} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A link to another console page, handled by the console's router.
 * @param {string} href
 * @param {...any} children
 */
export function link(href, ...children) {
  return h("a", { href, "data-route": true }, ...children);
}

/** A definition list from [term, value] pairs; pairs with an empty value are left out. */
export function fields(/** @type {[string, any][]} */ pairs) {
  return h(
    "dl",
    { class: "fields" },
    pairs
      .filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

/**
 * The lower-case tail of a proto enum name: "APPROVAL_STATE_PENDING" → "pending".
 * @param {string | undefined} name
 * @param {string} prefix e.g. "APPROVAL_STATE_"
 */
export function enumLabel(name, prefix) {
  if (!name) return "unspecified";
  return (name.startsWith(prefix) ? name.slice(prefix.length) : name)
    .toLowerCase()
    .replaceAll("_", " ");
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/**
 * "3 minutes ago" / "in 12 minutes", in a <time> element with the exact time as its title.
 * @param {string | undefined} iso
 * @param {Date} [now]
 */
export function timeAgo(iso, now = new Date()) {
  if (!iso) return "";
  const date = new Date(iso);
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [seconds, "second"]
      : abs < 3600
        ? [Math.round(seconds / 60), "minute"]
        : abs < 86_400
          ? [Math.round(seconds / 3600), "hour"]
          : [Math.round(seconds / 86_400), "day"];
  return h(
    "time",
    { datetime: iso, title: absolute.format(date) },
    relative.format(value, /** @type {Intl.RelativeTimeFormatUnit} */ (unit)),
  );
}

/** The exact local time of an RFC 3339 timestamp. @param {string | undefined} iso */
export function timeExact(iso) {
  if (!iso) return "";
  return h("time", { datetime: iso }, absolute.format(new Date(iso)));
}

/** "kind:id" of a resource. @param {{ kind?: string, id?: string } | undefined} resource */
export function resourceLabel(resource) {
  if (!resource) return "";
  return `${resource.kind ?? ""}:${resource.id ?? ""}`;
}

/** A message for an RPC failure that tells the reviewer what to do. @param {any} error */
export function describeFailure(error) {
  switch (error?.code) {
    case "unauthenticated":
      return `Your token was not accepted: ${error.message}. Sign in again with a valid token.`;
    case "permission_denied":
      return `Not allowed: ${error.message}`;
    case "failed_precondition":
      return `This cannot be done any more: ${error.message}`;
    case "not_found":
      return `Not found: ${error.message}`;
    case "invalid_argument":
      return `Check the input: ${error.message}`;
    case "unavailable":
      return `Vigil is unavailable (${error.message}).`;
    default:
      return error?.message ?? String(error);
  }
}

/** Whether a key press goes to a form field (and so is not a shortcut). @param {EventTarget | null} target */
export function isTyping(target) {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}
