import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * A throwaway PostgreSQL server for the test run: initdb in a temp dir, `postgres` on 127.0.0.1 on
 * a free port, trust authentication for user "postgres", durability switched off (fsync) because
 * the data is thrown away.
 *
 * initdb and postgres refuse to run as root, so under root (CI) they run as the `postgres` system
 * user (or `nobody`) via spawn's uid/gid, in a temp dir that user owns. The server runs under a
 * small shell watchdog that stops it when the test runner's process disappears, so even a killed
 * vitest leaves no postgres behind.
 */
/** Temp folders of a test run are named reco-test-<kind>-<pid of the test runner>-…. */
export const RUN_DIR_PREFIX = "reco-test-";

export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres (the maintenance database). */
  url: string;
  stop(): Promise<void>;
}

export function postgresBinariesMissing(): string | null {
  const missing = ["initdb", "postgres"].filter((bin) => !existsSync(path.join(POSTGRES_BIN, bin)));
  if (missing.length === 0) return null;
  return (
    `PostgreSQL 15 server binaries not found in ${POSTGRES_BIN} (${missing.join(", ")}): ` +
    "install them (`apt-get install -y postgresql`), set POSTGRES_BIN to their folder, or set " +
    "TEST_POSTGRES_URL to a server the tests may create databases in"
  );
}

/** uid/gid to run the server as: ourselves, or an unprivileged system user when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":"));
  for (const name of ["postgres", "nobody"]) {
    const entry = passwd.find((fields) => fields[0] === name);
    if (entry) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error("Running as root, but /etc/passwd has neither a postgres nor a nobody user to run PostgreSQL as");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Runs the server as a child and stops it (fast shutdown, SIGINT) when told to with SIGTERM, when
// the server dies, or when the watched process (the test runner) is gone. /proc is used because
// `kill -0` on a process of another user fails with EPERM.
const WATCHDOG = `
watched=$1; dir=$2; shift 2
"$@" & server=$!
trap 'kill -INT $server 2>/dev/null; wait $server; exit 0' TERM INT
while [ -d /proc/$watched ] && kill -0 $server 2>/dev/null; do sleep 1; done
kill -INT $server 2>/dev/null; wait $server
[ -d /proc/$watched ] || rm -rf "$dir"
`;

export async function startPostgresServer(): Promise<PostgresServer> {
  const missing = postgresBinariesMissing();
  if (missing) throw new Error(missing);
  const user = serverUser();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${RUN_DIR_PREFIX}pg-${process.pid}-`));
  if (user) await chown(dir, user.uid, user.gid);
  const dataDir = path.join(dir, "data");

  const init = spawnSync(
    path.join(POSTGRES_BIN, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
    { ...user, cwd: dir, encoding: "utf8" },
  );
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.error?.message}`);
  }

  const port = await freePort();
  const server: ChildProcess = spawn(
    "sh",
    [
      "-c",
      WATCHDOG,
      "watchdog",
      String(process.pid),
      dir,
      path.join(POSTGRES_BIN, "postgres"),
      "-D", dataDir,
      "-p", String(port),
      "-k", dir,
      "-c", "listen_addresses=127.0.0.1",
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "max_connections=300",
    ],
    { ...user, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      const timer = setTimeout(() => server.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return { url, stop };
    } catch (error) {
      await client.end().catch(() => {});
      if (server.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`PostgreSQL did not start (${(error as Error).message}); server log:\n${log}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
