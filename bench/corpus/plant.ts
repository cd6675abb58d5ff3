/**
 * Writing a planted value or a look-alike in a style: as an `.env`, YAML, Python or log line, or
 * inside a sentence of prose, with its span marked in the {@link TextBuilder}.
 */
import { type LogClock, logPrefix } from "./filler.js";
import type { Format, Style } from "./formats.js";
import { lookAlike } from "./look-alikes.js";
import type { Rng } from "./random.js";
import type { TextBuilder } from "./text-builder.js";
import type { LookAlikeKind } from "./types.js";

const PROSE_SECRET = [
  "I'm getting 401 errors with this key: % and I don't know whether it was revoked. ",
  "Here is the token from the CI settings, `%`, can you tell me which scopes it has? ",
  "Use % for the staging account until the new one is issued. ",
  "The old value was % but rotating it did not help. ",
];
const PROSE_PII: Record<string, readonly string[]> = {
  "pii.email": ["You can reach me at %. ", "Please cc % on the ticket. "],
  "pii.card": [
    "My card number is %, expiring 09/27. ",
    "The customer was charged twice on card % yesterday. ",
  ],
  "pii.iban": [
    "Please wire the refund to IBAN %. ",
    "Our supplier's account is % at their bank in Frankfurt. ",
  ],
  "pii.ssn": ["Her SSN is % according to the form. ", "SSN on file: %. "],
};
const PROSE_LOOK_ALIKE: Record<LookAlikeKind, string> = {
  uuid: "The failing request id is %. ",
  "git-sha": "It started with commit % on main. ",
  sha256: "The image digest is sha256:% in the registry. ",
  "trace-id": "Trace % shows the slow span. ",
  version: "We are on version % of the SDK. ",
  placeholder: "The README uses % as the example value, which obviously does not work. ",
  "public-key": "This is the public key they sent us:\n\n```\n%\n```\n\n",
  "bad-checksum": "The bank rejected reference % as invalid. ",
};

function around(template: string): [string, string] {
  const [before = "", after = ""] = template.split("%");
  return [before, after];
}

/** Writes a fresh value of format `f` in `style`, marking the part a detector should report. */
export function plantSecret(
  b: TextBuilder,
  r: Rng,
  style: Style,
  clock: LogClock,
  f: Format,
): void {
  const name = r.pick(f.names);
  const pieces = f.sample(r);
  const multiline = f.detector === "secret.private-key";
  switch (style) {
    case "env":
      if (multiline) {
        // The common single-line form (Vercel, Heroku, GitHub Actions): newlines as `\n`.
        b.add(`${name}="`);
        b.pieces(f.detector, pieces, (s) => s.replaceAll("\n", "\\n"));
        b.add('"\n');
      } else {
        b.add(`${name}=`);
        b.pieces(f.detector, pieces);
        b.add("\n");
      }
      return;
    case "yaml":
      if (multiline) {
        b.add(`  ${name}: |\n    `);
        b.pieces(f.detector, pieces, (s) => s.replaceAll("\n", "\n    "));
        b.add("\n");
      } else {
        const quote = f.needsName ? '"' : "";
        b.add(`  ${name}: ${quote}`);
        b.pieces(f.detector, pieces);
        b.add(`${quote}\n`);
      }
      return;
    case "source":
      if (multiline) {
        b.add(`${name} = """`);
        b.pieces(f.detector, pieces);
        b.add('"""\n');
      } else if (r.chance(0.3) && !name.endsWith("URL")) {
        b.add(`    client = Client(${name.toLowerCase()}="`);
        b.pieces(f.detector, pieces);
        b.add('")\n');
      } else {
        b.add(`${name} = "`);
        b.pieces(f.detector, pieces);
        b.add('"\n');
      }
      return;
    case "log": {
      const [before, after] = around(f.logLine ?? `loaded ${name.toLowerCase()}=%`);
      b.add(`${logPrefix(r, clock, "DEBUG")} ${before}`);
      b.pieces(f.detector, pieces);
      b.add(`${after}\n`);
      return;
    }
    case "prose": {
      if (multiline) {
        b.add("Here is the key we sign with:\n\n```\n");
        b.pieces(f.detector, pieces);
        b.add("\n```\n\n");
        return;
      }
      const template = f.needsName
        ? `My .env has \`${name}=%\` and it still fails. `
        : f.detector === "secret.connection-string-password"
          ? "The app connects with % and then times out. "
          : r.pick(PROSE_PII[f.detector] ?? PROSE_SECRET);
      const [before, after] = around(template);
      b.add(before);
      b.pieces(f.detector, pieces);
      b.add(after);
      return;
    }
  }
}

/** Writes a fresh look-alike that fits `style`, marked so a finding on it can be counted. */
export function plantLookAlike(b: TextBuilder, r: Rng, style: Style, clock: LogClock): void {
  const sample = lookAlike(r, style);
  const { kind, name, value } = sample;
  const digest = kind === "sha256" ? "sha256:" : "";
  switch (style) {
    case "env":
      if (kind === "public-key") {
        b.add(`${name}="`);
        b.mark("look-alike", kind, value.replaceAll("\n", "\\n"));
        b.add('"\n');
      } else {
        b.add(`${name}=${digest}`);
        b.mark("look-alike", kind, value);
        b.add("\n");
      }
      return;
    case "yaml":
      if (kind === "public-key") {
        b.add(`  ${name}: |\n    `);
        b.mark("look-alike", kind, value.replaceAll("\n", "\n    "));
        b.add("\n");
      } else {
        // Quoted: `{{ … }}`, `${…}` and `<…>` placeholders are not plain YAML scalars.
        b.add(`  ${name}: "${digest}`);
        b.mark("look-alike", kind, value);
        b.add('"\n');
      }
      return;
    case "source":
      b.add(kind === "public-key" ? `${name} = """` : `${name} = "${digest}`);
      b.mark("look-alike", kind, value);
      b.add(kind === "public-key" ? '"""\n' : '"\n');
      return;
    case "log":
      b.add(`${logPrefix(r, clock)} ${name.toLowerCase()}=${digest}`);
      b.mark("look-alike", kind, value);
      b.add("\n");
      return;
    case "prose": {
      const [before, after] = around(PROSE_LOOK_ALIKE[kind]);
      b.add(before);
      b.mark("look-alike", kind, value);
      b.add(after);
      return;
    }
  }
}
