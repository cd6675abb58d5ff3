import { ConfigError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { InvalidCustomRuleError } from "./custom-rule.js";
import { type CustomRuleSet, customRuleSet, customRulesDetector } from "./custom-rule-set.js";
import { loadGitleaksConfig } from "./gitleaks-config.js";

/**
 * Reads the server's custom rule files (gitleaks TOML) into one rule set and compiles it once,
 * so a bad pattern or a duplicate id stops the start with a {@link ConfigError} naming the file
 * and rule. Rules that cannot apply to content in flight are logged by id. Undefined for none.
 */
export async function loadCustomRules(
  files: readonly string[],
  logger: Logger,
): Promise<CustomRuleSet | undefined> {
  if (files.length === 0) return undefined;
  try {
    const specs = [];
    for (const file of files) {
      const { rules, skipped } = await loadGitleaksConfig(file);
      for (const rule of skipped)
        logger.warn({ file, rule: rule.id, reason: rule.reason }, "custom rule skipped");
      specs.push(...rules);
    }
    const set = customRuleSet(specs, files.join(", "));
    customRulesDetector(set);
    logger.info({ files, rules: specs.length }, "custom redaction rules loaded");
    return set;
  } catch (error) {
    if (error instanceof InvalidCustomRuleError)
      throw new ConfigError(`--redact-rules: ${error.message}`);
    throw error;
  }
}
