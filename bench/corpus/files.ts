/**
 * One generator per kind of file: prompts, chat transcripts, logs, `.env` files, YAML and Python
 * source, each a run of filler units with planted values and look-alikes at a kind's density.
 */
import {
  ANSWERS,
  envFiller,
  type LogClock,
  logFiller,
  proseSentence,
  sourceFiller,
  yamlDocument,
  yamlFiller,
} from "./filler.js";
import { FORMATS, type Format, type Style } from "./formats.js";
import { uuid } from "./look-alikes.js";
import { plantLookAlike, plantSecret } from "./plant.js";
import { ALNUM, type Rng } from "./random.js";
import { TextBuilder } from "./text-builder.js";
import type { CorpusKind } from "./types.js";

/** Chance per filler unit (a line or sentence) of a planted value and of a look-alike. */
const DENSITY: Record<Style, { secret: number; lookAlike: number }> = {
  prose: { secret: 0.06, lookAlike: 0.04 },
  log: { secret: 0.015, lookAlike: 0.02 },
  env: { secret: 0.15, lookAlike: 0.1 },
  yaml: { secret: 0.08, lookAlike: 0.06 },
  source: { secret: 0.04, lookAlike: 0.03 },
};

function formatsFor(style: Style): Format[] {
  return FORMATS.filter((f) => f.styles === undefined || f.styles.includes(style));
}

/** One unit of a style: filler, or (by {@link DENSITY}) a planted value or a look-alike. */
function unit(b: TextBuilder, r: Rng, style: Style, clock: LogClock): void {
  const roll = r.next();
  const density = DENSITY[style];
  if (roll < density.secret) plantSecret(b, r, style, clock, r.pick(formatsFor(style)));
  else if (roll < density.secret + density.lookAlike) plantLookAlike(b, r, style, clock);
  else if (style === "prose") b.add(proseSentence(r));
  else if (style === "log") b.add(logFiller(r, clock));
  else if (style === "env") b.add(envFiller(r));
  else if (style === "yaml") b.add(yamlFiller(r));
  else b.add(sourceFiller(r));
}

/** A user's message: prose, with now and then a pasted snippet of a log, `.env` or code. */
function promptText(b: TextBuilder, r: Rng, clock: LogClock, chars: number): void {
  const end = b.length + chars;
  while (b.length < end) {
    if (r.chance(0.12)) {
      const style = r.pick<Style>(["log", "env", "source"]);
      b.add("\n\n```\n");
      for (let i = r.between(3, 10); i > 0; i--) unit(b, r, style, clock);
      b.add("```\n\n");
    } else {
      unit(b, r, "prose", clock);
    }
  }
}

function chatFile(b: TextBuilder, r: Rng, clock: LogClock, chars: number): void {
  const idValue = new TextBuilder();
  idValue.mark("look-alike", "uuid", uuid(r));
  b.add(`{\n  "id": "chatcmpl-${r.chars(ALNUM, 29)}",\n  "model": "gpt-4o-2024-08-06",\n`);
  b.add(
    `  "created": ${Math.floor(clock.ms / 1000)},\n  "temperature": 0.2,\n  "metadata": {\n    "request_id": `,
  );
  b.jsonString(idValue, "/metadata/request_id");
  b.add('\n  },\n  "messages": [\n');
  for (let i = 0; b.length < chars || i < 2; i++) {
    const role = i === 0 ? "system" : r.pick(["user", "user", "assistant", "tool"]);
    const content = new TextBuilder();
    if (role === "system") content.add("You are a helpful SRE assistant. Answer precisely.");
    else if (role === "user") promptText(content, r, clock, r.between(300, 4000));
    else if (role === "assistant") {
      for (let n = r.between(2, 8); n > 0; n--) content.add(`${r.pick(ANSWERS)} `);
    } else {
      for (let n = r.between(10, 60); n > 0; n--) unit(content, r, "log", clock);
    }
    const toolCall =
      role === "tool"
        ? `      "tool_call_id": "call_${r.chars(ALNUM, 24)}",\n      "name": "fetch_logs",\n`
        : "";
    b.add(`${i > 0 ? ",\n" : ""}    {\n      "role": "${role}",\n${toolCall}      "content": `);
    b.jsonString(content, `/messages/${i}/content`);
    b.add("\n    }");
  }
  b.add('\n  ],\n  "usage": { "prompt_tokens": 1834, "completion_tokens": 412 }\n}\n');
}

/** Builds one file of `kind`, about `chars` long, drawing everything from `r`. */
export function buildFile(kind: CorpusKind, r: Rng, chars: number): TextBuilder {
  const b = new TextBuilder();
  const clock: LogClock = { ms: Date.UTC(2025, 2, 14, 9, 0, 0) + r.int(86_400_000) };
  switch (kind) {
    case "prompt":
      promptText(b, r, clock, chars);
      b.add("\n");
      break;
    case "chat":
      chatFile(b, r, clock, chars);
      break;
    case "yaml":
      while (b.length < chars) {
        b.add(yamlDocument(r));
        for (let i = r.between(8, 30); i > 0; i--) unit(b, r, "yaml", clock);
      }
      break;
    case "source":
      b.add('"""Event handlers for the orders service."""\nimport json\nimport os\n');
      while (b.length < chars) unit(b, r, "source", clock);
      break;
    default:
      while (b.length < chars) unit(b, r, kind, clock);
  }
  return b;
}
