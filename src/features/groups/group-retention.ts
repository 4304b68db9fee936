import type { CleanupJob } from '../../maintenance/cleanup-scheduler.js';
import type { GroupAttachmentService } from './group-attachment-service.js';
import type { GroupStore } from './group-store.js';

/** Ages in seconds; 0 keeps messages (or files) forever. Join requests always expire. */
export interface GroupRetention {
  messageTtlSeconds: number;
  attachmentTtlSeconds: number;
  joinRequestTtlSeconds: number;
}

const BATCH = 1000;

/** Deletes batch after batch until one comes back short, so one sweep never holds the database long. */
async function inBatches(step: (max: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await step(BATCH);
    total += removed;
    if (removed < BATCH) return total;
  }
}

/** The cleanup jobs of group storage: expired join requests, and history and files past their retention. */
export function groupRetentionJobs(store: GroupStore, files: GroupAttachmentService, retention: GroupRetention, now: () => number): CleanupJob[] {
  const jobs: CleanupJob[] = [
    { name: 'group-join-requests', run: () => inBatches((max) => store.purgeRequestsBefore(now() - retention.joinRequestTtlSeconds, max)) },
  ];
  if (retention.messageTtlSeconds > 0) {
    jobs.push({ name: 'group-messages', run: () => inBatches((max) => store.purgeMessagesBefore(now() - retention.messageTtlSeconds, max)) });
  }
  if (retention.attachmentTtlSeconds > 0) {
    const purgeFiles = async (max: number) => {
      const ids = await store.purgeAttachmentsBefore(now() - retention.attachmentTtlSeconds, max);
      // The bytes go too unless another group still holds the same file.
      await files.release([...new Set(ids)]);
      return ids.length;
    };
    jobs.push({ name: 'group-attachments', run: () => inBatches(purgeFiles) });
  }
  return jobs;
}
