import { SluiceError } from '../errors.ts';

/**
 * URL templates for configured HTTP endpoints: `https://deploy.internal/services/{service}/restart`.
 * Placeholders may only appear after the origin, and every value is percent-encoded as one
 * component, so parameters can choose a path segment or a query value but never the host, the
 * scheme, another path, or a `..` that would climb out of the configured path.
 */

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(placeholder)].map((m) => m[1]!);
}

/** Why the template cannot be used, or undefined when it is sound. */
export function templateProblem(template: string): string | undefined {
  const origin = /^https?:\/\/[^/?#{}]+/.exec(template);
  if (!origin) return 'url must start with http:// or https:// and a host (no placeholders in the host)';
  const rest = template.slice(origin[0].length);
  if (rest !== '' && !/^[/?#]/.test(rest)) return 'placeholders may not be part of the host or port';
  const stray = template.replace(placeholder, '').match(/[{}]/);
  if (stray) return 'url has a { or } that is not a {name} placeholder';
  try {
    new URL(template.replace(placeholder, 'x'));
  } catch {
    return 'url is not a valid URL';
  }
  return undefined;
}

export function renderUrlTemplate(template: string, params: Record<string, unknown>): string {
  const rendered = template.replace(placeholder, (_, name: string) => {
    const value = params[name];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SluiceError('invalid_input', `url parameter "${name}" must be text, a number or true/false`);
    }
    const encoded = encodeURIComponent(String(value));
    if (encoded === '' || encoded === '.' || encoded === '..') {
      throw new SluiceError('invalid_input', `url parameter "${name}" may not be empty, "." or ".."`);
    }
    return encoded;
  });
  const templateOrigin = new URL(template.replace(placeholder, 'x')).origin;
  if (new URL(rendered).origin !== templateOrigin) {
    throw new SluiceError('invalid_input', 'the rendered url left the configured origin');
  }
  return rendered;
}
