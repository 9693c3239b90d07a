import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
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

function onOff(name: string, fallback: boolean) {
  return optionalString.transform((raw, ctx) => {
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase();
    if (value === 'on' || value === 'off') return value === 'on';
    ctx.addIssue({
      code: 'custom',
      message: `must be "on" or "off" (got "${raw}"); unset ${name} to use ${fallback ? 'on' : 'off'}`,
    });
    return z.NEVER;
  });
}

// --- Model gateway (src/llm) ------------------------------------------------------------------
// Models per task, prices, budgets, retries, breaker and response cache. Read by
// src/llm/gateway-settings.ts; documented in .env.example under "Model gateway".

const modelPattern = /^((anthropic|openai):)?[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

function modelName(name: string, fallback: string, allowNone: boolean) {
  return optionalString.transform((raw, ctx): string | undefined => {
    if (raw === undefined) return fallback;
    if (allowNone && raw === 'none') return undefined;
    if (!modelPattern.test(raw) || raw === 'none') {
      ctx.addIssue({
        code: 'custom',
        message: `must be a model name such as claude-haiku-4-5 or openai:llama3.1:8b${allowNone ? ', or "none" for no fallback' : ''}; unset ${name} to use ${fallback}`,
      });
      return z.NEVER;
    }
    return raw;
  });
}

function decimal(name: string, fallback: number, min: number, max: number) {
  return optionalString.transform((raw, ctx) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a number from ${min} to ${max} (got "${raw}"); unset ${name} to use ${fallback}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

const modelPricesSchema = z.record(
  z.string().min(1),
  z.strictObject({
    input: z.number().min(0),
    output: z.number().min(0),
    cacheWrite: z.number().min(0).optional(),
    cacheRead: z.number().min(0).optional(),
  }),
);

const modelPrices = optionalString.transform((raw, ctx) => {
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = modelPricesSchema.safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be JSON mapping model names to USD per million tokens, e.g. {"claude-haiku-4-5":{"input":1,"output":5,"cacheWrite":1.25,"cacheRead":0.1}} (cacheWrite and cacheRead are multipliers of input)',
    });
    return z.NEVER;
  }
  return parsed.data;
});

const llmEnvShape = {
  SLUICE_MODEL_TRIAGE: modelName('SLUICE_MODEL_TRIAGE', 'claude-haiku-4-5', false),
  SLUICE_MODEL_TRIAGE_FALLBACK: modelName('SLUICE_MODEL_TRIAGE_FALLBACK', 'claude-sonnet-4-6', true),
  SLUICE_MODEL_ANSWER: modelName('SLUICE_MODEL_ANSWER', 'claude-sonnet-4-6', false),
  SLUICE_MODEL_ANSWER_FALLBACK: modelName('SLUICE_MODEL_ANSWER_FALLBACK', 'claude-haiku-4-5', true),
  SLUICE_MODEL_PROPOSE: modelName('SLUICE_MODEL_PROPOSE', 'claude-sonnet-4-6', false),
  SLUICE_MODEL_PROPOSE_FALLBACK: modelName('SLUICE_MODEL_PROPOSE_FALLBACK', 'claude-haiku-4-5', true),
  SLUICE_MODEL_PRICES: modelPrices,
  SLUICE_BUDGET_RUN_USD: decimal('SLUICE_BUDGET_RUN_USD', 0.5, 0, 1_000_000),
  SLUICE_BUDGET_USER_DAY_USD: decimal('SLUICE_BUDGET_USER_DAY_USD', 5, 0, 1_000_000),
  SLUICE_BUDGET_DAY_USD: decimal('SLUICE_BUDGET_DAY_USD', 50, 0, 1_000_000),
  SLUICE_BUDGET_EXHAUSTED: optionalString.refine((v) => v === undefined || v === 'stop' || v === 'no-model', {
    message:
      'must be "stop" (a full user or daily budget stops the run) or "no-model" (degrade to passages and explicit commands)',
  }),
  SLUICE_LLM_TIMEOUT_MS: integer('SLUICE_LLM_TIMEOUT_MS', 30_000, 1_000, 600_000),
  SLUICE_LLM_RETRY_ATTEMPTS: integer('SLUICE_LLM_RETRY_ATTEMPTS', 3, 1, 10),
  SLUICE_LLM_RETRY_DEADLINE_MS: integer('SLUICE_LLM_RETRY_DEADLINE_MS', 60_000, 1_000, 600_000),
  SLUICE_LLM_RETRY_AFTER_CAP_MS: integer('SLUICE_LLM_RETRY_AFTER_CAP_MS', 20_000, 0, 600_000),
  SLUICE_LLM_MAX_TURNS_PER_RUN: integer('SLUICE_LLM_MAX_TURNS_PER_RUN', 8, 1, 100),
  SLUICE_LLM_BREAKER_FAILURE_RATE: decimal('SLUICE_LLM_BREAKER_FAILURE_RATE', 0.5, 0.01, 1),
  SLUICE_LLM_BREAKER_MIN_CALLS: integer('SLUICE_LLM_BREAKER_MIN_CALLS', 5, 1, 1_000),
  SLUICE_LLM_BREAKER_WINDOW_MS: integer('SLUICE_LLM_BREAKER_WINDOW_MS', 60_000, 1_000, 3_600_000),
  SLUICE_LLM_BREAKER_COOLDOWN_MS: integer('SLUICE_LLM_BREAKER_COOLDOWN_MS', 30_000, 100, 3_600_000),
  SLUICE_LLM_CACHE_TTL_SECONDS: integer('SLUICE_LLM_CACHE_TTL_SECONDS', 3_600, 0, 604_800),
  OPENAI_COMPAT_BASE_URL: httpUrl(
    'it is the base of an OpenAI-compatible API including /v1, e.g. http://localhost:11434/v1 for Ollama',
  ),
  OPENAI_COMPAT_API_KEY: optionalString,
};

export interface LlmConfig {
  models: Record<'triage' | 'answer' | 'propose', { primary: string; fallback: string | undefined }>;
  /** USD per million tokens; cacheWrite/cacheRead are multipliers of input. Merged over the defaults. */
  prices: Record<string, { input: number; output: number; cacheWrite?: number; cacheRead?: number }>;
  budgets: { runUsd: number; userDayUsd: number; dayUsd: number; onExhausted: 'stop' | 'no-model' };
  timeoutMs: number;
  retry: { attempts: number; deadlineMs: number; retryAfterCapMs: number };
  maxTurnsPerRun: number;
  breaker: { failureRate: number; minCalls: number; windowMs: number; cooldownMs: number };
  cacheTtlSeconds: number;
  openaiCompat: { baseUrl: string | undefined; apiKey: string | undefined };
}
// --- end of model gateway block (the rest of it is llmConfigFrom and llmProblems below) ----------

// --- Actions and policy (src/actions, src/policy, src/approvals) -------------------------------
// The endpoints http.request may call, custom action modules, the channels slack.post_message may
// post to, and SLUICE_SECRET_* values for endpoint headers. Documented in .env.example under
// "Actions" and in docs/actions.md.

export const SECRET_ENV_PREFIX = 'SLUICE_SECRET_';

const channelIdList = optionalString.transform((raw, ctx) => {
  if (raw === undefined) return [];
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.filter((id) => !/^[CG][A-Z0-9]{2,}$/.test(id));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be comma-separated channel ids such as C0123ABCD (not ${bad.join(', ')}); the id is at the bottom of the channel's details`,
    });
    return z.NEVER;
  }
  return ids;
});

const actionsEnvShape = {
  SLUICE_ENDPOINTS_FILE: optionalString,
  SLUICE_ACTIONS_DIR: optionalString,
  SLUICE_POST_CHANNELS: channelIdList,
};

export interface ActionsConfig {
  /** YAML/JSON file of named HTTP endpoints for http.request; none configured when unset. */
  endpointsFile: string | undefined;
  /** Folder of custom action modules loaded at start. */
  customDir: string | undefined;
  /** Channel ids slack.post_message may post to. */
  postChannels: string[];
  /** Every SLUICE_SECRET_* variable: the only values endpoint headers may use. Never log it. */
  secrets: Record<string, string>;
}

function actionsConfigFrom(e: z.infer<typeof envSchema>, env: Env, cwd: string): ActionsConfig {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(SECRET_ENV_PREFIX) && value) secrets[name] = value;
  }
  return {
    endpointsFile: e.SLUICE_ENDPOINTS_FILE ? path.resolve(cwd, e.SLUICE_ENDPOINTS_FILE) : undefined,
    customDir: e.SLUICE_ACTIONS_DIR ? path.resolve(cwd, e.SLUICE_ACTIONS_DIR) : undefined,
    postChannels: e.SLUICE_POST_CHANNELS,
    secrets,
  };
}
// --- end of actions and policy block -----------------------------------------------------------

// --- Retrieval (retrieval/) ----------------------------------------------------------------------
// Embedding provider, BM25, HNSW, fusion and chunking settings. Read by
// retrieval/retrieval-settings.ts; documented in .env.example under "Retrieval".

const embeddingProviders = ['local', 'voyage', 'openai'] as const;

/** Known output sizes, so the vector column can be created before the first call. */
const KNOWN_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'voyage-3.5': 1024,
  'voyage-3.5-lite': 1024,
  'voyage-3-large': 1024,
  'voyage-3': 1024,
  'voyage-3-lite': 512,
  'voyage-code-3': 1024,
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
};

/** pgvector's HNSW index takes vectors of at most 2,000 dimensions. */
const MAX_INDEXED_DIMENSIONS = 2000;

const retrievalEnvShape = {
  SLUICE_EMBEDDINGS: optionalString.refine(
    (v) => v === undefined || (embeddingProviders as readonly string[]).includes(v),
    { message: `must be one of ${embeddingProviders.join(', ')}; unset it for the built-in local embedder` },
  ),
  SLUICE_EMBEDDINGS_DIMENSIONS: optionalString.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > MAX_INDEXED_DIMENSIONS) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number from 1 to ${MAX_INDEXED_DIMENSIONS} (pgvector's HNSW limit); unset it for the model's own size`,
      });
      return z.NEVER;
    }
    return n;
  }),
  VOYAGE_API_KEY: optionalString,
  VOYAGE_MODEL: optionalString,
  VOYAGE_BASE_URL: httpUrl('unset it to use https://api.voyageai.com/v1'),
  OPENAI_EMBEDDINGS_BASE_URL: httpUrl(
    'it is the API base up to the version, e.g. http://localhost:11434/v1 for Ollama',
  ),
  OPENAI_EMBEDDINGS_API_KEY: optionalString,
  OPENAI_EMBEDDINGS_MODEL: optionalString,
  SLUICE_BM25_K1: decimal('SLUICE_BM25_K1', 0.9, 0, 5),
  SLUICE_BM25_B: decimal('SLUICE_BM25_B', 0.4, 0, 1),
  SLUICE_HNSW_EF_SEARCH: integer('SLUICE_HNSW_EF_SEARCH', 100, 1, 1000),
  SLUICE_HNSW_M: integer('SLUICE_HNSW_M', 16, 2, 100),
  SLUICE_HNSW_EF_CONSTRUCTION: integer('SLUICE_HNSW_EF_CONSTRUCTION', 64, 4, 1000),
  SLUICE_FUSION_K: integer('SLUICE_FUSION_K', 60, 1, 10000),
  SLUICE_FUSION_BM25_WEIGHT: decimal('SLUICE_FUSION_BM25_WEIGHT', 1, 0, 100),
  // Unset: 1 for Voyage and OpenAI-compatible models, 0.01 for the local embedder.
  SLUICE_FUSION_VECTOR_WEIGHT: optionalString.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || n > 100) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a number from 0 to 100 (got "${raw}"); unset it for 1 (0.01 with the local embedder)`,
      });
      return z.NEVER;
    }
    return n;
  }),
  SLUICE_CHUNK_MAX_CHARS: integer('SLUICE_CHUNK_MAX_CHARS', 1500, 200, 100000),
  SLUICE_CHUNK_OVERLAP_CHARS: integer('SLUICE_CHUNK_OVERLAP_CHARS', 200, 0, 10000),
};

export type EmbeddingsConfig =
  | { provider: 'local'; dimension: number }
  | {
      provider: 'voyage';
      apiKey: string;
      model: string;
      dimension: number;
      /** The operator set the dimension: ask the API for it. */
      requestDimension: boolean;
      baseUrl: string | undefined;
    }
  | {
      provider: 'openai';
      baseUrl: string;
      apiKey: string | undefined;
      model: string;
      dimension: number;
      requestDimension: boolean;
    };

export interface RetrievalConfig {
  embeddings: EmbeddingsConfig;
  bm25: { k1: number; b: number };
  hnsw: { efSearch: number; m: number; efConstruction: number };
  fusion: { k: number; bm25Weight: number; vectorWeight: number };
  chunking: { maxChars: number; overlapChars: number };
}

type RetrievalEnv = { [K in keyof typeof retrievalEnvShape]: z.infer<(typeof retrievalEnvShape)[K]> };

function retrievalConfigFrom(e: RetrievalEnv): RetrievalConfig {
  const provider = (e.SLUICE_EMBEDDINGS ?? 'local') as (typeof embeddingProviders)[number];
  let embeddings: EmbeddingsConfig;
  if (provider === 'voyage') {
    const model = e.VOYAGE_MODEL ?? 'voyage-3.5';
    embeddings = {
      provider,
      apiKey: e.VOYAGE_API_KEY ?? '',
      model,
      dimension: e.SLUICE_EMBEDDINGS_DIMENSIONS ?? KNOWN_EMBEDDING_DIMENSIONS[model] ?? 0,
      requestDimension: e.SLUICE_EMBEDDINGS_DIMENSIONS !== undefined,
      baseUrl: e.VOYAGE_BASE_URL,
    };
  } else if (provider === 'openai') {
    const model = e.OPENAI_EMBEDDINGS_MODEL ?? 'text-embedding-3-small';
    embeddings = {
      provider,
      baseUrl: e.OPENAI_EMBEDDINGS_BASE_URL ?? 'https://api.openai.com/v1',
      apiKey: e.OPENAI_EMBEDDINGS_API_KEY,
      model,
      dimension: e.SLUICE_EMBEDDINGS_DIMENSIONS ?? KNOWN_EMBEDDING_DIMENSIONS[model.replace(/:.*$/, '')] ?? 0,
      requestDimension: e.SLUICE_EMBEDDINGS_DIMENSIONS !== undefined,
    };
  } else {
    embeddings = { provider: 'local', dimension: e.SLUICE_EMBEDDINGS_DIMENSIONS ?? 256 };
  }
  return {
    embeddings,
    bm25: { k1: e.SLUICE_BM25_K1, b: e.SLUICE_BM25_B },
    hnsw: {
      efSearch: e.SLUICE_HNSW_EF_SEARCH,
      m: e.SLUICE_HNSW_M,
      efConstruction: e.SLUICE_HNSW_EF_CONSTRUCTION,
    },
    fusion: {
      k: e.SLUICE_FUSION_K,
      bm25Weight: e.SLUICE_FUSION_BM25_WEIGHT,
      // The local embedder is lexical and much weaker than BM25: on SciFact any weight above about
      // 0.01 lowers hybrid nDCG@10, so by default it only breaks ties. A semantic model gets an
      // equal say.
      vectorWeight: e.SLUICE_FUSION_VECTOR_WEIGHT ?? (provider === 'local' ? 0.01 : 1),
    },
    chunking: { maxChars: e.SLUICE_CHUNK_MAX_CHARS, overlapChars: e.SLUICE_CHUNK_OVERLAP_CHARS },
  };
}

function retrievalProblems(e: RetrievalEnv): string[] {
  const problems: string[] = [];
  const r = retrievalConfigFrom(e);
  if (r.embeddings.provider === 'voyage' && !r.embeddings.apiKey) {
    problems.push(
      'VOYAGE_API_KEY: required when SLUICE_EMBEDDINGS=voyage; create a key at dash.voyageai.com, or unset SLUICE_EMBEDDINGS for the local embedder',
    );
  }
  if (r.embeddings.provider !== 'local' && r.embeddings.dimension === 0) {
    problems.push(
      `SLUICE_EMBEDDINGS_DIMENSIONS: required for model "${r.embeddings.model}", whose vector size Sluice does not know; set it to the model's output size`,
    );
  }
  if (r.embeddings.provider !== 'local' && r.embeddings.dimension > MAX_INDEXED_DIMENSIONS) {
    problems.push(
      `SLUICE_EMBEDDINGS_DIMENSIONS: ${r.embeddings.model} makes ${r.embeddings.dimension}-dimensional vectors, over pgvector's HNSW limit of ${MAX_INDEXED_DIMENSIONS}; set SLUICE_EMBEDDINGS_DIMENSIONS=1024 (the API shortens them) or pick a smaller model`,
    );
  }
  if (r.chunking.overlapChars >= r.chunking.maxChars) {
    problems.push('SLUICE_CHUNK_OVERLAP_CHARS: must be smaller than SLUICE_CHUNK_MAX_CHARS');
  }
  return problems;
}
// --- end of retrieval block -------------------------------------------------------------------

// --- Durable runs (src/agent, src/jobs, src/outbox) -----------------------------------------------
// How many runs one process advances at once, and where operators hear about dead-lettered
// runs. Documented in .env.example under "Durable runs".

const operatorPattern = /^([UW][A-Z0-9]{2,}|S[A-Z0-9]{2,}|@[a-z0-9][a-z0-9._-]*)$/;

const durableEnvShape = {
  SLUICE_RUN_CONCURRENCY: integer('SLUICE_RUN_CONCURRENCY', 4, 1, 64),
  SLUICE_INBOX_JOURNAL: onOff('SLUICE_INBOX_JOURNAL', true),
  SLUICE_OPERATORS: optionalString.refine(
    (v) =>
      v === undefined ||
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .every((x) => operatorPattern.test(x)),
    {
      message:
        'must be a comma-separated list of Slack user ids (U0123ABCD), user group ids (S0123ABCD) or group handles (@ops-leads); unset it to let everyone pause and resume',
    },
  ),
  SLUICE_ALERT_CHANNEL: optionalString.refine((v) => v === undefined || /^[CG][A-Z0-9]{6,}$/.test(v), {
    message:
      "must be one channel id such as C0123ABCD (at the bottom of the channel's details); unset it to tell only the requester",
  }),
};

export interface DurableConfig {
  /** Runs advanced at once by one process. */
  runConcurrency: number;
  /** Channel told about every dead-lettered run; undefined: only the requester is told. */
  alertChannelId: string | undefined;
  /** Who may pause and resume: user ids, group ids and group handles (without @); empty: everyone. */
  operators: string[];
  /**
   * Acknowledge Slack once a request is a line in the inbox journal on this host's disk (stored in
   * the database right after), rather than once it is in the database (src/inbox/inbox-journal.ts).
   */
  inboxJournal: boolean;
}

function durableConfigFrom(e: z.infer<typeof envSchema>): DurableConfig {
  const operators = (e.SLUICE_OPERATORS ?? '')
    .split(',')
    .map((x) => x.trim().replace(/^@/, ''))
    .filter(Boolean);
  return {
    runConcurrency: e.SLUICE_RUN_CONCURRENCY,
    alertChannelId: e.SLUICE_ALERT_CHANNEL,
    operators,
    inboxJournal: e.SLUICE_INBOX_JOURNAL,
  };
}
// --- end of durable runs block -------------------------------------------------------------------

// --- Digests (src/digest) ------------------------------------------------------------------------
// When digests are posted and where, what to do with slots missed while no scheduler ran, and the
// declared minutes each action saves (the hours-saved baseline). Documented in .env.example under
// "Digests" and in docs/digest.md.

const channelIdPattern = /^[CGD][A-Z0-9]{2,}$/;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validCron(expr: string): boolean {
  if (expr.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

const digestScheduleSchema = z.object({
  key: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'key must be 1-64 letters, digits, dots, colons, dashes or underscores')
    .optional(),
  cron: z.string().refine(validCron, 'cron must be a 5-field cron expression such as "0 9 * * 1-5"'),
  tz: z.string().default('UTC').refine(validTimeZone, 'tz must be an IANA time zone such as Europe/London'),
  channel: z.string().regex(channelIdPattern, 'channel must be a channel id such as C0123ABCD'),
  missed: z.enum(['skip', 'catch_up_once']).default('skip'),
});

export type DigestSchedule = Required<z.infer<typeof digestScheduleSchema>>;

function jsonVariable<T>(name: string, schema: z.ZodType<T>, fallback: T, example: string) {
  return optionalString.transform((raw, ctx): T => {
    if (raw === undefined) return fallback;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON such as ${example}; unset ${name} for none` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const first = parsed.error.issues
        .map((i) => `${i.path.length ? `[${i.path.join('.')}] ` : ''}${i.message}`)
        .join('; ');
      ctx.addIssue({ code: 'custom', message: `${first} (example: ${example})` });
      return z.NEVER;
    }
    return parsed.data;
  });
}

const digestEnvShape = {
  SLUICE_DIGESTS: jsonVariable(
    'SLUICE_DIGESTS',
    z.array(digestScheduleSchema).max(50),
    [],
    '[{"cron":"0 9 * * 1-5","tz":"Europe/London","channel":"C0123ABCD","missed":"skip"}]',
  ),
  SLUICE_DIGEST_BASELINES: jsonVariable(
    'SLUICE_DIGEST_BASELINES',
    z.record(
      z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'keys are action names such as http.request'),
      z
        .number()
        .min(0)
        .max(24 * 60),
    ),
    {},
    '{"http.request":15,"kb.add_note":5}',
  ),
  SLUICE_DIGEST_GRACE_MINUTES: integer('SLUICE_DIGEST_GRACE_MINUTES', 15, 1, 24 * 60),
};

export interface DigestConfig {
  /** Key defaults to `<channel>:<cron>:<tz>`; changing the schedule therefore starts a new one. */
  schedules: DigestSchedule[];
  /** Declared minutes one successful run of each action saves a person. */
  baselines: Record<string, number>;
  /** A slot found due later than this is "missed" (then skipped or caught up once, per schedule). */
  graceMinutes: number;
}

function digestConfigFrom(e: z.infer<typeof envSchema>): DigestConfig {
  return {
    schedules: e.SLUICE_DIGESTS.map((s) => ({ ...s, key: s.key ?? `${s.channel}:${s.cron}:${s.tz}` })),
    baselines: e.SLUICE_DIGEST_BASELINES,
    graceMinutes: e.SLUICE_DIGEST_GRACE_MINUTES,
  };
}
// --- end of digests block ------------------------------------------------------------------------

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
  SLUICE_SLACK_ASSISTANT: onOff('SLUICE_SLACK_ASSISTANT', true),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: httpUrl('unset it to use Anthropic itself'),
  SLUICE_POLICY_FILE: optionalString,
  LOG_LEVEL: optionalString.refine((v) => v === undefined || (logLevels as readonly string[]).includes(v), {
    message: `must be one of ${logLevels.join(', ')}`,
  }),
  ...llmEnvShape,
  ...actionsEnvShape,
  ...retrievalEnvShape,
  ...durableEnvShape,
  ...digestEnvShape,
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
    /** Slack's assistant surface (threads, suggested prompts, status); off for an app without `assistant_view`. */
    assistant: boolean;
  };
  anthropic: { apiKey: string | undefined; baseUrl: string | undefined };
  llm: LlmConfig;
  policyFile: string | undefined;
  actions: ActionsConfig;
  retrieval: RetrievalConfig;
  durable: DurableConfig;
  digest: DigestConfig;
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
  if (e) problems.push(...llmProblems(e));
  if (e) problems.push(...retrievalProblems(e));
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
      assistant: e.SLUICE_SLACK_ASSISTANT,
    },
    anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
    llm: llmConfigFrom(e),
    policyFile: e.SLUICE_POLICY_FILE ? path.resolve(cwd, e.SLUICE_POLICY_FILE) : undefined,
    actions: actionsConfigFrom(e, env, cwd),
    retrieval: retrievalConfigFrom(e),
    durable: durableConfigFrom(e),
    digest: digestConfigFrom(e),
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

// --- Model gateway (src/llm), continued ---------------------------------------------------------

function llmConfigFrom(e: z.infer<typeof envSchema>): LlmConfig {
  return {
    models: {
      triage: { primary: e.SLUICE_MODEL_TRIAGE as string, fallback: e.SLUICE_MODEL_TRIAGE_FALLBACK },
      answer: { primary: e.SLUICE_MODEL_ANSWER as string, fallback: e.SLUICE_MODEL_ANSWER_FALLBACK },
      propose: { primary: e.SLUICE_MODEL_PROPOSE as string, fallback: e.SLUICE_MODEL_PROPOSE_FALLBACK },
    },
    prices: e.SLUICE_MODEL_PRICES,
    budgets: {
      runUsd: e.SLUICE_BUDGET_RUN_USD,
      userDayUsd: e.SLUICE_BUDGET_USER_DAY_USD,
      dayUsd: e.SLUICE_BUDGET_DAY_USD,
      onExhausted: e.SLUICE_BUDGET_EXHAUSTED === 'no-model' ? 'no-model' : 'stop',
    },
    timeoutMs: e.SLUICE_LLM_TIMEOUT_MS,
    retry: {
      attempts: e.SLUICE_LLM_RETRY_ATTEMPTS,
      deadlineMs: e.SLUICE_LLM_RETRY_DEADLINE_MS,
      retryAfterCapMs: e.SLUICE_LLM_RETRY_AFTER_CAP_MS,
    },
    maxTurnsPerRun: e.SLUICE_LLM_MAX_TURNS_PER_RUN,
    breaker: {
      failureRate: e.SLUICE_LLM_BREAKER_FAILURE_RATE,
      minCalls: e.SLUICE_LLM_BREAKER_MIN_CALLS,
      windowMs: e.SLUICE_LLM_BREAKER_WINDOW_MS,
      cooldownMs: e.SLUICE_LLM_BREAKER_COOLDOWN_MS,
    },
    cacheTtlSeconds: e.SLUICE_LLM_CACHE_TTL_SECONDS,
    openaiCompat: { baseUrl: e.OPENAI_COMPAT_BASE_URL, apiKey: e.OPENAI_COMPAT_API_KEY },
  };
}

function llmProblems(e: z.infer<typeof envSchema>): string[] {
  if (e.OPENAI_COMPAT_BASE_URL) return [];
  const names = [
    'SLUICE_MODEL_TRIAGE',
    'SLUICE_MODEL_TRIAGE_FALLBACK',
    'SLUICE_MODEL_ANSWER',
    'SLUICE_MODEL_ANSWER_FALLBACK',
    'SLUICE_MODEL_PROPOSE',
    'SLUICE_MODEL_PROPOSE_FALLBACK',
  ] as const;
  return names
    .filter((name) => e[name]?.startsWith('openai:'))
    .map(
      (name) =>
        `${name}: names an openai: model but OPENAI_COMPAT_BASE_URL is not set; set it (e.g. http://localhost:11434/v1) or choose a Claude model`,
    );
}
