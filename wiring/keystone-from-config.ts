import { KeystoneClient } from '../clients/keystone';
import type { Config } from '../config/schema';

export function keystoneFromConfig(config: Config): KeystoneClient {
  return new KeystoneClient({
    authUrl: config.auth.auth_url,
    adminUser: config.auth.admin_user,
    adminPassword: config.auth.admin_pwd,
    adminProject: config.auth.admin_project,
    domainId: config.auth.domain_id,
    timeoutMs: config.auth.request_timeout,
  });
}
