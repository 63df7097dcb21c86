import { createHash } from 'node:crypto';
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import { classified } from '../errors';
import { FailureType } from '../../shared/failures';
import type {
  Ensured,
  EnsuredProject,
  EnsureProjectInput,
  EnsureUserInput,
  FoundUser,
  GrantRoleInput,
} from '../../shared/activity-contracts';
import type { KeystoneClient } from '../../clients/keystone';
import { accountExists, findOrCreateUser, madeBy } from './users';

/** Keystone tag marking a project as created by one onboarding (tags allow no "/" or ","). */
export function claimTag(workflowId: string): string {
  return `kaizen-${createHash('sha256').update(workflowId).digest('hex').slice(0, 24)}`;
}

export interface OpenStackDeps {
  keystone: KeystoneClient;
  domainId: string;
  memberRole: string;
}

/** Find-before-create steps: each can run any number of times and converges on the same state. */
export function createOpenStackActivities({ keystone, domainId, memberRole }: OpenStackDeps) {
  // Roles do not come and go: one lookup per worker, not one per onboarding.
  let memberRoleId: Promise<string> | undefined;
  const roleId = () =>
    (memberRoleId ??= keystone.findRoleByName(memberRole).then((role) => {
      if (role) return role.id;
      throw ApplicationFailure.nonRetryable(
        `role "${memberRole}" does not exist in Keystone: create it or set [auth] member_role`,
        FailureType.rejected,
      );
    })).catch((err: unknown) => {
      memberRoleId = undefined; // looked up again next time (the admin may create it)
      throw err;
    });
  return {
    /**
     * new: create, refusing a name someone else holds; a project carrying this workflow's claim
     * tag is ours from an earlier attempt. existing: must be there. find-or-create: either.
     */
    async ensureProject({
      name,
      description,
      mode = 'find-or-create',
    }: EnsureProjectInput): Promise<EnsuredProject> {
      return classified(async () => {
        const claim = claimTag(activityInfo().workflowExecution?.workflowId ?? name);
        const existing = await keystone.findProjectByName(name);
        if (existing) {
          if (mode === 'new' && !(existing.tags ?? []).includes(claim)) {
            throw ApplicationFailure.nonRetryable(
              `project name "${name}" is already taken: choose another name, or ask to join it as an existing project`,
              FailureType.projectNameTaken,
            );
          }
          return { id: existing.id, created: false, ours: (existing.tags ?? []).includes(claim) };
        }
        if (mode === 'existing') {
          throw ApplicationFailure.nonRetryable(
            `project "${name}" does not exist: check the name, or ask for a new project`,
            FailureType.projectNotFound,
          );
        }
        const response = await keystone.request(
          'POST',
          '/projects',
          {
            project: {
              name,
              domain_id: domainId,
              description: description ?? '',
              enabled: true,
              tags: [claim],
            },
          },
          [409],
        );
        if (response.status === 409) {
          // Someone created it between our lookup and our create: retrying sorts out whose it is.
          throw new Error(`project "${name}" appeared while being created; looking again`);
        }
        const id = response.json<{ project: { id: string } }>().project.id;
        log.info('project created', { project: name, projectId: id });
        return { id, created: true, ours: true };
      });
    },

    /**
     * A new person's address must not name an account this onboarding did not make: checked
     * before anything is created, so a refused row leaves Keystone as it was.
     */
    async refuseForeignAccount({
      email,
      workflowId,
    }: {
      email: string;
      workflowId: string;
    }): Promise<void> {
      return classified(async () => {
        const user = await keystone.findUserByName(email);
        if (user && !madeBy(user, claimTag(workflowId))) throw accountExists(email);
      });
    },

    /** The id of a project that must exist (quota requests name one). */
    async findProject({ name }: { name: string }): Promise<string> {
      return classified(async () => {
        const project = await keystone.findProjectByName(name);
        if (!project) {
          throw ApplicationFailure.nonRetryable(
            `project "${name}" does not exist: correct the "Project" cell`,
            FailureType.projectNotFound,
          );
        }
        return project.id;
      });
    },

    /** The addresses of everyone holding a role on the project (directly or through a group). */
    async projectMembers({ projectId }: { projectId: string }): Promise<string[]> {
      return classified(async () => {
        const query = new URLSearchParams({ 'scope.project.id': projectId, effective: 'true' });
        const { role_assignments } = (
          await keystone.request('GET', `/role_assignments?${query}`)
        ).json<{ role_assignments: { user?: { id: string } }[] }>();
        const ids = [...new Set(role_assignments.flatMap((a) => (a.user ? [a.user.id] : [])))];
        const addresses: string[] = [];
        for (const id of ids) {
          const { user } = (
            await keystone.request('GET', `/users/${encodeURIComponent(id)}`)
          ).json<{
            user: { name: string; email?: string };
          }>();
          const address = user.email ?? user.name;
          // Service accounts and admins without an address get no mail.
          if (address.includes('@')) addresses.push(address.toLowerCase());
        }
        return [...new Set(addresses)].sort();
      });
    },

    /** A quota request's check: any role on the project counts, directly or through a group. */
    async isProjectMember({ email, project }: { email: string; project: string }) {
      return classified(async () => {
        const [user, found] = await Promise.all([
          keystone.findUserByName(email),
          keystone.findProjectByName(project),
        ]);
        if (!user || !found) return false;
        const query = new URLSearchParams({
          'user.id': user.id,
          'scope.project.id': found.id,
          effective: 'true',
        });
        const { role_assignments } = (
          await keystone.request('GET', `/role_assignments?${query}`)
        ).json<{ role_assignments: unknown[] }>();
        return role_assignments.length > 0;
      });
    },

    /** An account that must already exist (existing users, additional users). */
    async findExistingUser({ email }: { email: string }): Promise<string> {
      return classified(async () => {
        const user = await keystone.findUserByName(email);
        if (!user) {
          throw ApplicationFailure.nonRetryable(
            `user "${email}" does not exist: answer "No" to "Existing account?" for a new user, or correct the address`,
            FailureType.userNotFound,
          );
        }
        return user.id;
      });
    },

    /**
     * The user is created without a password, so nobody can log in with it until the setpass
     * step gives it a random temporary one that only the setpass store knows. (Onboardings since
     * LOCAL_STEPS_PATCH use ensureUserWithLink, which does both in one request.)
     */
    async ensureUser(input: EnsureUserInput): Promise<Ensured> {
      return classified(async () => {
        const { id, created } = await findOrCreateUser(keystone, domainId, input);
        return { id, created };
      });
    },

    /** The account a reset form names, or null: the caller must not reveal which. */
    async findUser({ name }: { name: string }): Promise<FoundUser | null> {
      return classified(async () => {
        const user = await keystone.findUserByName(name);
        if (!user) return null;
        return {
          id: user.id,
          name: user.name,
          email: user.email ?? user.name,
          fullName: user.description || user.name,
        };
      });
    },

    async userRoleNames({ userId }: { userId: string }): Promise<string[]> {
      return classified(async () => {
        const query = new URLSearchParams({ 'user.id': userId, include_names: 'true' });
        const { role_assignments } = (
          await keystone.request('GET', `/role_assignments?${query}`)
        ).json<{
          role_assignments: { role: { name: string } }[];
        }>();
        return [...new Set(role_assignments.map((a) => a.role.name))];
      });
    },

    async grantMemberRole({ userId, projectId }: GrantRoleInput): Promise<void> {
      return classified(async () => {
        // PUT is idempotent in Keystone: granting twice answers 204 again.
        await keystone.request(
          'PUT',
          `/projects/${projectId}/users/${userId}/roles/${await roleId()}`,
        );
      });
    },
  };
}
