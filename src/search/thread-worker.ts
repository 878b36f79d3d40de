/** The worker thread of a fault search's thread pool (Piscina): runs one execution job. */
import { runJob, type ExecutionJobData } from './jobs.js';

export default function run(job: ExecutionJobData): ReturnType<typeof runJob> {
  return runJob(job);
}
