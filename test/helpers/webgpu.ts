/**
 * The webgpu backend for tests on machines without a GPU: Mesa's lavapipe through
 * scripts/setup-lavapipe.sh (cached in .lavapipe/), pointed at by the Vulkan loader's variables.
 * A real GPU's driver is used instead when LAVAPIPE=0 (see README: GPU tests on a GPU).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Whether the tests run on lavapipe (else on the machine's GPU). */
export const onLavapipe = process.env.LAVAPIPE !== '0';

/** Variables that make Dawn find lavapipe (for this process and the processes it starts). */
export function lavapipeEnv(): Record<string, string> {
  if (!onLavapipe) return {};
  let icd: string;
  try {
    icd = execFileSync('bash', [path.join(ROOT, 'scripts/setup-lavapipe.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim();
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`the webgpu tests need Mesa's lavapipe and scripts/setup-lavapipe.sh could not set it up: ${detail}`);
  }
  return { VK_DRIVER_FILES: icd, VK_ICD_FILENAMES: icd };
}

/** Points this process's Vulkan loader at lavapipe; call before the backend starts. */
export function useLavapipe(): void {
  Object.assign(process.env, lavapipeEnv());
}
