/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and WebAssembly modules are loaded by Node at run time, not bundled.
  // The build checks the app's own code; tests and benchmarks are checked by `npm test` (tsc).
  typescript: { tsconfigPath: "tsconfig.app.json" },
  serverExternalPackages: ["better-sqlite3", "onnxruntime-node", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
};

export default nextConfig;
