// Which model of a run directory a command reads: final/ when training finished, else the latest
// checkpoint (with a note saying so). Shared by `eval` and `generate`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { latestCheckpoint } from '../train/checkpoint.js';

export async function modelOfRun(runDir: string): Promise<{ modelDir: string; notes: string[] } | { problem: string }> {
  if (existsSync(join(runDir, 'final', 'config.json'))) return { modelDir: join(runDir, 'final'), notes: [] };
  const latest = await latestCheckpoint(runDir);
  if (latest === undefined) {
    return { problem: existsSync(join(runDir, 'config.json')) ? `${runDir}: no final/ model and no checkpoint` : `${runDir}: not a run directory (no config.json, final/ or checkpoints/)` };
  }
  return { modelDir: latest.dir, notes: [`no final/ model yet: using ${latest.dir}`] };
}
