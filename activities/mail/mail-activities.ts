import { ApplicationFailure, log } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import { FailureType } from '../../shared/failures';
import type { SendMailInput } from '../../shared/activity-contracts';
import type { MailContext, TemplateName } from '../../shared/mail-templates';
import { render, type Template } from '../../mail/render';

export interface MailSettings {
  sender: string;
  adminEmail: string;
  /** Empty when not configured: mails to them are skipped. */
  approversEmail: string;
  helpdeskEmail: string;
  helpdeskPriority: string;
  helpdeskQueue: string;
  operatorName: string;
  supportEmail: string;
  loginUrl: string;
  termsUrl: string;
  gettingStartedUrl: string;
  passwordResetFormUrl: string;
  setpassUrl: string;
  tokenExpiration: string;
  /** How long a form request's confirmation link works, in words. */
  confirmWithin: string;
}

export interface MailDeps {
  transport: Pick<Transporter, 'sendMail'>;
  /** A send still unanswered after this long fails its attempt, and Temporal retries it. */
  sendTimeoutMs: number;
  templates: Record<TemplateName, Template>;
  settings: MailSettings;
}

export function setpassLink(setpassUrl: string, token: string): string {
  const url = new URL(setpassUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

export function messageId(messageKey: string): string {
  return `<${messageKey.replace(/[^A-Za-z0-9._-]/g, '.')}@kaizen-onboarding>`;
}

/**
 * The send, or a retryable failure once it has taken longer than `ms`. Without it a stalled
 * send (seen once in 5 000 onboardings: the pooled connection never answered) holds its
 * activity slot for good, since Temporal's timeout only schedules a retry elsewhere.
 */
async function withinDeadline<T>(send: Promise<T>, ms: number, to: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `SMTP send to ${to} unanswered after ${ms / 1000} s ([mail] send_timeout); retrying`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([send, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createMailActivities({ transport, templates, settings, sendTimeoutMs }: MailDeps) {
  return {
    async sendMail(input: SendMailInput): Promise<{ messageId: string }> {
      const context: MailContext = {
        FULLNAME: input.fullName,
        USERNAME: input.username ?? input.to,
        REASON: input.reason ?? '',
        QUOTA_LIST: input.quotaList ?? '',
        END_DATE: input.endDate ?? '',
        USER_NAME: '',
        FIRST_NAME: '',
        LAST_NAME: '',
        CSR_TYPE: '',
        PRIORITY: settings.helpdeskPriority,
        QUEUE: settings.helpdeskQueue,
        COMMENT: '',
        REQUEST_COUNT: '',
        REQUEST_TYPE: '',
        START: '',
        REQUEST_SPREADSHEET: '',
        REQUEST_DETAILS: '',
        PROJECT: input.project,
        SETPASS_TOKEN_URL: input.setpassToken
          ? setpassLink(settings.setpassUrl, input.setpassToken)
          : '',
        CONFIRM_URL: input.confirmToken
          ? setpassLink(new URL('confirm', settings.setpassUrl).toString(), input.confirmToken)
          : '',
        CONFIRM_WITHIN: settings.confirmWithin,
        PASSWORD_RESET_FORM_URL: settings.passwordResetFormUrl,
        LOGIN_URL: settings.loginUrl,
        TERMS_URL: settings.termsUrl,
        GETTING_STARTED_URL: settings.gettingStartedUrl,
        SUPPORT_EMAIL: settings.supportEmail,
        OPERATOR_NAME: settings.operatorName,
        TOKEN_EXPIRATION: settings.tokenExpiration,
        ...input.values,
      };
      const { subject, text, html } = render(templates[input.template], context);
      const id = messageId(input.messageKey);
      const audience = input.audience ?? (input.adminMail ? 'admins' : undefined);
      const to =
        audience === 'admins'
          ? settings.adminEmail
          : audience === 'approvers'
            ? settings.approversEmail
            : audience === 'helpdesk'
              ? settings.helpdeskEmail
              : input.to;
      if (!to) {
        log.info('mail skipped: no address configured', { template: input.template, audience });
        return { messageId: '' };
      }
      try {
        await withinDeadline(
          transport.sendMail({
            from: settings.sender,
            to,
            ...(input.cc?.length ? { cc: input.cc.filter((a) => a !== to) } : {}),
            subject,
            text,
            ...(html !== undefined ? { html } : {}),
            messageId: id,
          }),
          sendTimeoutMs,
          to,
        );
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500 && code < 600) {
          // The server refuses this recipient for good: retrying cannot help, an admin must look.
          throw ApplicationFailure.nonRetryable(
            `mail server refused ${to} (SMTP ${code})`,
            FailureType.recipientRefused,
          );
        }
        throw err;
      }
      log.info('mail sent', { template: input.template, to, messageId: id });
      return { messageId: id };
    },
  };
}
