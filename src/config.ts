import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * The only reader of the environment. Every variable Sluice understands is declared once here,
 * with its default and the advice shown when it is wrong; `.env.example` documents the same list.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .transform((v) => v.trim())
  .optional()
  .transform((v) => (v ? v : undefined));

function httpUrl(advice: string) {
  return optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
    message: `must be an http(s) URL; ${advice}`,
  });
}

function prefixed(prefix: string, advice: string) {
  return optionalString.refine((v) => v === undefined || v.startsWith(prefix), {
    message: `must start with "${prefix}"; ${advice}`,
  });
}

function integer(name: string, fallback: number, min: number, max: number) {
  return optionalString.transform((raw, ctx) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number from ${min} to ${max} (got "${raw}"); unset ${name} to use ${fallback}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

export const envSchema = z.object({
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v), {
    message:
      'must be a postgres:// or postgresql:// URL such as postgres://user:pass@localhost:5432/sluice; unset it to use the embedded database',
  }),
  SLUICE_DATA_DIR: optionalString,
  PORT: integer('PORT', 3000, 0, 65535),
  HOST: optionalString,
  SLACK_BOT_TOKEN: prefixed(
    'xoxb-',
    'copy the Bot User OAuth Token from your Slack app, or unset it to use the local workspace',
  ),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: prefixed(
    'xapp-',
    'create an app-level token with connections:write for Socket Mode, or unset it for HTTP mode',
  ),
  SLACK_API_URL: httpUrl('it is the Web API base, e.g. https://slack.com/api/; unset it for Slack itself'),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: httpUrl('unset it to use Anthropic itself'),
  SLUICE_POLICY_FILE: optionalString,
  LOG_LEVEL: optionalString.refine((v) => v === undefined || (logLevels as readonly string[]).includes(v), {
    message: `must be one of ${logLevels.join(', ')}`,
  }),
});

export type Env = Record<string, string | undefined>;

export type SlackMode = 'local' | 'http' | 'socket';

export interface Config {
  database: { url: string | undefined; dataDir: string };
  http: { port: number; host: string };
  slack: {
    mode: SlackMode;
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
  };
  anthropic: { apiKey: string | undefined; baseUrl: string | undefined };
  policyFile: string | undefined;
  logLevel: (typeof logLevels)[number];
}

/** Parses the environment once; throws a ConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  if (e) problems.push(...crossFieldProblems(e));
  if (problems.length > 0 || !e) throw new ConfigError(problems);

  const mode: SlackMode = !e.SLACK_BOT_TOKEN ? 'local' : e.SLACK_APP_TOKEN ? 'socket' : 'http';
  return {
    database: { url: e.DATABASE_URL, dataDir: path.resolve(cwd, e.SLUICE_DATA_DIR ?? '.sluice') },
    http: { port: e.PORT, host: e.HOST ?? '127.0.0.1' },
    slack: {
      mode,
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
    },
    anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
    policyFile: e.SLUICE_POLICY_FILE ? path.resolve(cwd, e.SLUICE_POLICY_FILE) : undefined,
    logLevel: (e.LOG_LEVEL as Config['logLevel'] | undefined) ?? 'info',
  };
}

function crossFieldProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_SIGNING_SECRET: required in HTTP mode (SLACK_BOT_TOKEN is set without SLACK_APP_TOKEN); copy it from Basic Information in your Slack app, or set SLACK_APP_TOKEN for Socket Mode',
    );
  }
  if (!e.SLACK_BOT_TOKEN && (e.SLACK_APP_TOKEN || e.SLACK_SIGNING_SECRET)) {
    problems.push(
      'SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set; add the bot token, or unset them to use the local workspace',
    );
  }
  return problems;
}
