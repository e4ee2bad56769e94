/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and WebAssembly modules are loaded by Node at run time, not bundled.
  serverExternalPackages: ["better-sqlite3", "onnxruntime-node", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
};

export default nextConfig;
