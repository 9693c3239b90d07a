import { z } from 'zod';
import { SECRET_ENV_PREFIX } from '../config.ts';
import { parseDuration } from '../policy/duration.ts';
import { type ActionRisk, actionRisks } from '../policy/policy-schema.ts';
import {
  ConfigFileError,
  issuesToProblems,
  type OwnerOf,
  type PathSegment,
  type SourceProblem,
} from '../policy/source-problems.ts';
import { parseYamlSource } from '../policy/yaml-source.ts';
import { templatePlaceholders, templateProblem } from './url-template.ts';

/**
 * The HTTP endpoints `http.request` may call, from the file named by SLUICE_ENDPOINTS_FILE (YAML
 * or JSON). The model picks an endpoint by name and supplies its parameters; method, URL and
 * headers come only from this file. Secret header values are read from environment variables
 * whose names start with SLUICE_SECRET_, so the file cannot send other credentials anywhere.
 */

export const SECRET_PREFIX = SECRET_ENV_PREFIX;
export const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface Endpoint {
  name: string;
  description: string;
  method: (typeof httpMethods)[number];
  url: string;
  /** The endpoint's params as a JSON Schema object (for the model) and as zod (for checking). */
  paramsJsonSchema: Record<string, unknown>;
  paramsSchema: z.ZodType<Record<string, unknown>>;
  body: 'json' | 'none';
  timeoutMs: number;
  risk: ActionRisk;
  maxResponseChars: number;
  /** Header values with secrets filled in; a function so the endpoint can be logged safely. */
  headers(): Record<string, string>;
  /** The secret values, to scrub from recorded responses. */
  secretValues(): string[];
}

const secretRef = z.strictObject({
  secret: z.string().regex(new RegExp(`^${SECRET_PREFIX}[A-Z0-9_]+$`), {
    error: `secret must name an environment variable starting with ${SECRET_PREFIX}, e.g. ${SECRET_PREFIX}DEPLOY_TOKEN`,
  }),
  prefix: z.string().default(''),
});

const endpointSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'endpoint names are lower-case words joined by -'),
  description: z.string().trim().min(1, 'describe what the endpoint does; the model reads it'),
  method: z.enum(httpMethods, { error: `method must be one of ${httpMethods.join(', ')}` }),
  url: z.string(),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), z.union([z.string(), secretRef]))
    .default({}),
  params: z.record(z.string(), z.unknown()),
  body: z.enum(['json', 'none']).optional(),
  timeout: z
    .string()
    .default('10s')
    .refine((v) => {
      const ms = parseDuration(v);
      return ms !== undefined && ms >= 1000 && ms <= 120_000;
    }, 'timeout must be a duration from 1s to 2m, such as 10s'),
  risk: z.enum(actionRisks).default('high'),
  max_response_chars: z.int().min(0).max(100_000).default(2000),
});

const endpointsFileSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1' }),
  endpoints: z.array(endpointSchema),
});

const keywords = [
  'version',
  'endpoints',
  ...Object.keys(endpointSchema.shape),
  'secret',
  'prefix',
  'type',
  'properties',
  'required',
  'additionalProperties',
];

export type EndpointsCheck = { ok: true; endpoints: Endpoint[] } | { ok: false; problems: SourceProblem[] };

export function checkEndpointsFile(
  text: string,
  file: string,
  secrets: Readonly<Record<string, string>>,
): EndpointsCheck {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) return { ok: false, problems: source.problems };
  const data = source.data as { endpoints?: unknown } | null | undefined;
  const rawList = data && typeof data === 'object' && Array.isArray(data.endpoints) ? data.endpoints : [];
  const ownerOf: OwnerOf = (path) => {
    if (path[0] !== 'endpoints' || typeof path[1] !== 'number') return undefined;
    const name = (rawList[path[1]] as { name?: unknown } | undefined)?.name;
    return {
      owner: typeof name === 'string' ? `endpoint "${name}"` : `endpoint #${path[1] + 1}`,
      rest: path.slice(2),
    };
  };
  const parsed = endpointsFileSchema.safeParse(source.data ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(parsed.error.issues, source, source.data, ownerOf, keywords),
    };
  }

  const problems: SourceProblem[] = [];
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const [index, spec] of parsed.data.endpoints.entries()) {
    const problem = (path: PathSegment[], message: string) =>
      problems.push({
        file,
        ...source.locate(['endpoints', index, ...path]),
        path: ['endpoints', index, ...path],
        owner: `endpoint "${spec.name}"`,
        message,
      });
    if (seen.has(spec.name)) problem(['name'], `duplicate endpoint name "${spec.name}"`);
    seen.add(spec.name);
    const built = buildEndpoint(spec, secrets);
    for (const p of built.problems) problem(p.path, p.message);
    if (built.endpoint) endpoints.push(built.endpoint);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, endpoints };
}

export function parseEndpointsFile(
  text: string,
  file: string,
  secrets: Readonly<Record<string, string>>,
): Endpoint[] {
  const checked = checkEndpointsFile(text, file, secrets);
  if (!checked.ok) throw new ConfigFileError(`Endpoints file ${file}`, checked.problems);
  return checked.endpoints;
}

type Spec = z.infer<typeof endpointSchema>;

function buildEndpoint(
  spec: Spec,
  secrets: Readonly<Record<string, string>>,
): { endpoint?: Endpoint; problems: { path: PathSegment[]; message: string }[] } {
  const problems: { path: PathSegment[]; message: string }[] = [];
  const problem = (path: PathSegment[], message: string) => problems.push({ path, message });
  const urlProblem = templateProblem(spec.url);
  if (urlProblem) problem(['url'], urlProblem);

  const jsonSchema = { ...spec.params };
  if (jsonSchema.type !== 'object') problem(['params'], 'params must be a JSON Schema with type: object');
  if (JSON.stringify(jsonSchema).includes('"$ref"'))
    problem(['params'], '$ref is not supported in params schemas');
  jsonSchema.additionalProperties ??= false;
  let paramsSchema: z.ZodType<Record<string, unknown>> | undefined;
  try {
    paramsSchema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<
      Record<string, unknown>
    >;
  } catch (error) {
    problem(['params'], `params is not a usable JSON Schema: ${(error as Error).message}`);
  }
  const properties = (jsonSchema.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(jsonSchema.required) ? (jsonSchema.required as unknown[]) : [];
  for (const name of templatePlaceholders(spec.url)) {
    if (!(name in properties)) problem(['url'], `url placeholder {${name}} is not a property in params`);
    else if (!required.includes(name))
      problem(['params', 'required'], `url placeholder {${name}} must be listed in required`);
  }

  const body = spec.body ?? (spec.method === 'GET' || spec.method === 'DELETE' ? 'none' : 'json');
  if (spec.method === 'GET' && body === 'json')
    problem(['body'], 'a GET request cannot have a body; use body: none');

  const literal: Record<string, string> = {};
  const fromSecrets: Record<string, string> = {};
  const rawSecrets: string[] = [];
  for (const [header, value] of Object.entries(spec.headers)) {
    if (header.toLowerCase() === 'idempotency-key') {
      problem(['headers', header], 'Idempotency-Key is set by Sluice for every call; remove it');
    } else if (typeof value === 'string') {
      if (/^(authorization|proxy-authorization|cookie|x-api-key)$/i.test(header)) {
        problem(
          ['headers', header],
          `put credentials in an environment variable: ${header}: { secret: ${SECRET_PREFIX}... }`,
        );
      }
      literal[header] = value;
    } else {
      const secret = secrets[value.secret];
      if (!secret) problem(['headers', header], `environment variable ${value.secret} is not set`);
      else {
        fromSecrets[header] = `${value.prefix}${secret}`;
        rawSecrets.push(secret);
      }
    }
  }
  if (problems.length > 0 || !paramsSchema) return { problems };
  const endpoint: Endpoint = {
    name: spec.name,
    description: spec.description,
    method: spec.method,
    url: spec.url,
    paramsJsonSchema: jsonSchema,
    paramsSchema,
    body,
    timeoutMs: parseDuration(spec.timeout)!,
    risk: spec.risk,
    maxResponseChars: spec.max_response_chars,
    headers: () => ({ ...literal, ...fromSecrets }),
    secretValues: () => [...rawSecrets],
  };
  return { endpoint, problems };
}
