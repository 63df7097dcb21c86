import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplates, render, SAMPLE_CONTEXT } from '../../mail/render';
import { TEMPLATE_NAMES } from '../../shared/mail-templates';
import type { Command } from '../command';

export const templates: Command = {
  name: 'templates',
  args: '[DIR]',
  help: `render every mail template with sample data (to DIR as files, or print them) for review;
[mail] templates_dir overrides are used. Needs no service.`,
  maxPositionals: 1,
  run({ positionals: [dir] }, { config }) {
    const all = loadTemplates(config.mail.templates_dir);
    if (dir) mkdirSync(dir, { recursive: true });
    for (const name of TEMPLATE_NAMES) {
      const { subject, text, html } = render(all[name], SAMPLE_CONTEXT);
      if (dir) {
        writeFileSync(join(dir, `${name}.txt`), `Subject: ${subject}\n\n${text}`);
        if (html !== undefined) writeFileSync(join(dir, `${name}.html`), html);
      } else {
        console.log(
          `===== ${name}${html !== undefined ? ' (text + HTML)' : ''}\nSubject: ${subject}\n\n${text}`,
        );
      }
    }
    if (dir) console.log(`${TEMPLATE_NAMES.length} templates rendered into ${dir}`);
    return Promise.resolve(0);
  },
};
