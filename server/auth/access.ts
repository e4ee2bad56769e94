/**
 * Roles and what each may do beyond chatting. Everyone, guests included, chats and gives feedback
 * on their own conversations; the permissions below gate the merchandiser and product-team pages.
 * An admin may do everything.
 */
export const ROLES = ["user", "merchandiser", "product", "admin"] as const;
export type RoleName = (typeof ROLES)[number];

export const ROLE_LABELS: Record<RoleName, string> = {
  user: "User",
  merchandiser: "Merchandiser",
  product: "Product team",
  admin: "Admin",
};

const PERMISSIONS = {
  "explanations.review": ["merchandiser"],
  "insights.view": ["product"],
  "models.update": ["product"],
  "roles.assign": [],
} as const satisfies Record<string, readonly RoleName[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: RoleName, permission: Permission): boolean {
  return role === "admin" || (PERMISSIONS[permission] as readonly RoleName[]).includes(role);
}

export function isRole(value: unknown): value is RoleName {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
