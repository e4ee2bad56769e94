/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and WebAssembly modules are loaded by Node at run time, not bundled.
  // The build checks the app's own code; tests and benchmarks are checked by `npm test` (tsc).
  typescript: { tsconfigPath: "tsconfig.app.json" },
  serverExternalPackages: ["better-sqlite3", "onnxruntime-node", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "@node-rs/argon2"],
  poweredByHeader: false,
  // forbidden(): a signed-in account without the role a page needs gets the 403 page (app/forbidden.tsx).
  experimental: { authInterrupts: true },
  // Static security headers; the Content-Security-Policy carries a per-request nonce (proxy.ts).
  // HSTS is left to the TLS-terminating proxy in front of a deployment: the app itself may be
  // served over plain HTTP on a private network.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
