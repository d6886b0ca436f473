/**
 * Linux socket address families (`AF_*`, include/linux/socket.h), the values `socket(2)`'s first argument takes.
 */

/** Every address family Linux defines below `AF_MAX`, canonical name → number. */
export const ADDRESS_FAMILIES: Readonly<Record<string, number>> = {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_AX25: 3, AF_IPX: 4, AF_APPLETALK: 5, AF_NETROM: 6, AF_BRIDGE: 7,
  AF_ATMPVC: 8, AF_X25: 9, AF_INET6: 10, AF_ROSE: 11, AF_DECnet: 12, AF_NETBEUI: 13, AF_SECURITY: 14,
  AF_KEY: 15, AF_NETLINK: 16, AF_PACKET: 17, AF_ASH: 18, AF_ECONET: 19, AF_ATMSVC: 20, AF_RDS: 21, AF_SNA: 22,
  AF_IRDA: 23, AF_PPPOX: 24, AF_WANPIPE: 25, AF_LLC: 26, AF_IB: 27, AF_MPLS: 28, AF_CAN: 29, AF_TIPC: 30,
  AF_BLUETOOTH: 31, AF_IUCV: 32, AF_RXRPC: 33, AF_ISDN: 34, AF_PHONET: 35, AF_IEEE802154: 36, AF_CAIF: 37,
  AF_ALG: 38, AF_NFC: 39, AF_VSOCK: 40, AF_KCM: 41, AF_QIPCRTR: 42, AF_SMC: 43, AF_XDP: 44, AF_MCTP: 45,
};

/** One past the highest family: `socket()` rejects `family >= AF_MAX` with EAFNOSUPPORT. */
export const AF_MAX = 46;

/** Second names for the same numbers. */
export const ADDRESS_FAMILY_ALIASES: Readonly<Record<string, string>> = {
  AF_LOCAL: 'AF_UNIX',
  AF_FILE: 'AF_UNIX',
  AF_ROUTE: 'AF_NETLINK',
};

const NAME_BY_NUMBER: ReadonlyMap<number, string> = new Map(
  Object.entries(ADDRESS_FAMILIES).map(([name, n]) => [n, name]),
);
const BY_UPPER: ReadonlyMap<string, string> = new Map(
  [...Object.keys(ADDRESS_FAMILIES), ...Object.keys(ADDRESS_FAMILY_ALIASES)].map((name) => [name.toUpperCase(), name]),
);

/**
 * The number of family `name`: `AF_INET`, `PF_INET` or `inet`, case-insensitive, aliases (`AF_LOCAL`,
 * `AF_ROUTE`) accepted. Undefined when unknown.
 */
export function addressFamilyNumber(name: string): number | undefined {
  let upper = name.trim().toUpperCase();
  if (upper.startsWith('PF_')) upper = `AF_${upper.slice(3)}`;
  else if (!upper.startsWith('AF_')) upper = `AF_${upper}`;
  const spelled = BY_UPPER.get(upper);
  if (spelled === undefined) return undefined;
  return ADDRESS_FAMILIES[ADDRESS_FAMILY_ALIASES[spelled] ?? spelled];
}

/** The canonical name of family number `n` (e.g. 16 → `AF_NETLINK`), or undefined. */
export function addressFamilyName(n: number): string | undefined {
  return NAME_BY_NUMBER.get(n);
}
