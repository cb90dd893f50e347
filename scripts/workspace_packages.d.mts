// Types of workspace_packages.mjs, for the TypeScript tests that use it.
export interface WorkspacePackage {
  /** Directory relative to the repository root, e.g. 'packages/ops'. */
  dir: string;
  path: string;
  json: Record<string, unknown> & {name: string; version: string; private?: boolean};
}
export const ROOT: string;
export function workspacePackages(): WorkspacePackage[];
export function publicPackages(): WorkspacePackage[];
