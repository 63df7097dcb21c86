// The SMTP client: one pooled nodemailer transport per process, STARTTLS required.
import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/schema';

export function mailTransport({ mail }: Config): Transporter {
  return nodemailer.createTransport({
    host: mail.smtp_host,
    port: mail.smtp_port,
    secure: false,
    requireTLS: true, // never send a password link in the clear
    auth: mail.smtp_user ? { user: mail.smtp_user, pass: mail.smtp_password } : undefined,
    tls: mail.ca_file ? { ca: readFileSync(mail.ca_file) } : undefined,
    pool: true,
  });
}
