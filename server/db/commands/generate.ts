/** `npm run db:generate` (also run by `npm install`): both Prisma clients, offline. See ../generate.ts. */
import { generateClients } from "../generate";

try {
  await generateClients();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
