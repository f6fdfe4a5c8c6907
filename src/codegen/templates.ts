// Access to templates/c: Handlebars templates for the generated glue (compiled once, C text, no HTML escaping)
// and the hand-written kernel files copied into generated projects.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** templates/c in the package. */
export const TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates', 'c');

const handlebars = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();
const files = new Map<string, string>();

/** The text of templates/c/<relativePath> (cached). */
export function readTemplateFile(relativePath: string): string {
  let text = files.get(relativePath);
  if (text === undefined) {
    text = readFileSync(resolve(TEMPLATES_DIR, relativePath), 'utf8');
    files.set(relativePath, text);
  }
  return text;
}

/**
 * Render templates/c/<relativePath>; a field missing from the context throws. `partials`: name -> templates/c path
 * of each partial the template calls as `{{> name}}`.
 */
export function renderTemplate(relativePath: string, context: object, partials: Record<string, string> = {}): string {
  const compiledPartials = Object.fromEntries(Object.entries(partials).map(([name, path]) => [name, compiledTemplate(path)]));
  return compiledTemplate(relativePath)(context, { partials: compiledPartials });
}

function compiledTemplate(relativePath: string): Handlebars.TemplateDelegate {
  let template = compiled.get(relativePath);
  if (!template) {
    template = handlebars.compile(readTemplateFile(relativePath), { noEscape: true, strict: true });
    compiled.set(relativePath, template);
  }
  return template;
}
