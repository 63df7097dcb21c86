import { QuotaEndpoints } from '../../clients/quota-endpoints';
import { keystoneFromConfig } from '../../wiring/keystone-from-config';
import type { Command } from '../command';

export const quotas: Command = {
  name: 'quotas',
  args: 'PROJECT',
  help: "show a project's quotas on Nova, Cinder and Neutron (needs OpenStack only)",
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals: [name] }, { config }) {
    const keystone = keystoneFromConfig(config);
    const project = await keystone.findProjectByName(name!);
    if (!project) {
      console.error(`project "${name}" does not exist`);
      return 1;
    }
    const endpoints = new QuotaEndpoints(
      keystone,
      config.openstack.interface,
      config.openstack.region,
    );
    console.log(`quotas of ${project.name} (${project.id}); -1 = unlimited`);
    for (const type of ['compute', 'volumev3', 'network'] as const) {
      const service = (await endpoints.api(type, project.id)).service;
      const limits = await endpoints.limits(type, project.id);
      console.log(`  ${service}`);
      for (const [key, value] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b)))
        console.log(`    ${key.padEnd(28)} ${value}`);
    }
    return 0;
  },
};
